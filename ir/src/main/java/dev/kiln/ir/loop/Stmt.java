package dev.kiln.ir.loop;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Optional;

/** A loop-IR statement. Immutable; structural equality. */
public sealed interface Stmt permits Stmt.For, Stmt.Store, Stmt.Block, Stmt.If, Stmt.Let, Stmt.Assign {

  /** {@code for var in 0..extent}: loops are normalized to start at 0 with step 1. */
  record For(Var var, long extent, LoopKind kind, Stmt body) implements Stmt {
    public For {
      checkArgument(extent >= 0, "loop %s has a negative extent %s", var, extent);
    }

    public For withKind(LoopKind newKind) {
      return new For(var, extent, newKind, body);
    }

    public For withBody(Stmt newBody) {
      return new For(var, extent, kind, newBody);
    }
  }

  /** {@code buffer[indices...] = value}. */
  record Store(Buffer buffer, ImmutableList<Expr> indices, Expr value) implements Stmt {
    public Store {
      indices = ImmutableList.copyOf(indices);
      Expr.checkIndices(buffer, indices);
      checkArgument(value.type() == buffer.dtype(),
          "storing %s (%s) into %s of %s", value, value.type(), buffer, buffer.dtype());
    }
  }

  /** Statements in order; locals declared in a block are visible to its later statements. */
  record Block(ImmutableList<Stmt> stmts) implements Stmt {
    public Block {
      stmts = ImmutableList.copyOf(stmts);
    }

    public static Stmt of(List<Stmt> stmts) {
      return stmts.size() == 1 ? stmts.get(0) : new Block(ImmutableList.copyOf(stmts));
    }

    public static Stmt of(Stmt... stmts) {
      return of(List.of(stmts));
    }
  }

  record If(Expr condition, Stmt then, Optional<Stmt> otherwise) implements Stmt {
    public If {
      checkArgument(condition.type() == dev.kiln.ir.type.DType.BOOL,
          "if condition must be bool, got %s", condition.type());
    }

    public static If of(Expr condition, Stmt then) {
      return new If(condition, then, Optional.empty());
    }
  }

  /** Declares a scalar local with its initial value. */
  record Let(Local local, Expr init) implements Stmt {
    public Let {
      checkArgument(init.type() == local.type(),
          "local %s of %s initialized with %s", local, local.type(), init.type());
    }
  }

  record Assign(Local local, Expr value) implements Stmt {
    public Assign {
      checkArgument(value.type() == local.type(),
          "local %s of %s assigned %s", local, local.type(), value.type());
    }
  }
}
