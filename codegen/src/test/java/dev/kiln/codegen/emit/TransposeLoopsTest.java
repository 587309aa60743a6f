package dev.kiln.codegen.emit;

import static dev.kiln.ir.loop.Exprs.index;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Copy nests that transpose (the NCHW / NCHWc reorders' rows) compile to register transposes on
 * 16-lane machines and stay bit for bit the interpreter's result, at row widths with full 8 x 8
 * blocks, partial ones and none.
 */
class TransposeLoopsTest {
  /** Whether this machine's generated classes have 16 float lanes (where the transposes apply). */
  private static final boolean SIXTEEN_LANES = EmitOptions.defaults().withVectorize(true).effectiveGemm().lanes() == 16;

  /**
   * {@code y[cb, h, w, l] = x[cb * 16 + l, h, w]} (toBlocked) or the inverse, one nest per row
   * {@code (cb, h)}: lanes outside, W inside, as NchwcLowerings.reorder emits them.
   */
  static LoopProgram reorder(long blocks, long height, long width, boolean toBlocked) {
    Buffer nchw = Buffer.of("x", DType.F32, toBlocked ? BufferRole.INPUT : BufferRole.OUTPUT, blocks * 16, height,
        width);
    Buffer blocked = Buffer.of("y", DType.F32, toBlocked ? BufferRole.OUTPUT : BufferRole.INPUT, blocks, height,
        width, 16);
    Var cb = new Var("cb");
    Var h = new Var("h");
    Var l = new Var("l");
    Var w = new Var("w");
    List<Expr> b = List.of(cb, h, w, l);
    List<Expr> n = List.of(Exprs.add(Exprs.mul(cb, index(16)), l), h, w);
    Stmt copy = toBlocked
        ? new Stmt.Store(blocked, ImmutableList.copyOf(b), Exprs.load(nchw, n))
        : new Stmt.Store(nchw, ImmutableList.copyOf(n), Exprs.load(blocked, b));
    Stmt nest = new Stmt.For(cb, blocks, LoopKind.SERIAL, new Stmt.For(h, height, LoopKind.SERIAL,
        new Stmt.For(l, 16, LoopKind.SERIAL, new Stmt.For(w, width, LoopKind.SERIAL, copy))));
    Buffer in = toBlocked ? nchw : blocked;
    Buffer out = toBlocked ? blocked : nchw;
    Kernel kernel = new Kernel("reorder_0", ImmutableList.of(in, out), nest, "node 'r'");
    return new LoopProgram("p", ImmutableList.of(in), ImmutableList.of(out), ImmutableMap.of(), ImmutableList.of(),
        ImmutableList.of(kernel));
  }

  @Test
  void reordersBothWaysAreExactAtEveryRowWidth() {
    for (boolean toBlocked : new boolean[] {true, false}) {
      for (long width : new long[] {56, 28, 16, 13, 8, 7, 1}) {
        LoopProgram p = reorder(2, 3, width, toBlocked);
        assertTrue(LoopVerifier.verify(p).isEmpty(), () -> LoopVerifier.verify(p).toString());
        Programs.assertSameAsInterpreter(p, width);
        String source = Programs.emit(p).source();
        assertEquals(SIXTEEN_LANES, source.contains("Transposes.transpose16("),
            () -> "width " + width + ", toBlocked " + toBlocked + ":\n" + source);
      }
    }
  }

  /** A copy contiguous on both sides along the same loop is no transpose: its loops stay. */
  @Test
  void aPlainCopyIsLeftAsLoops() {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 16, 40);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 16, 40);
    Var i = new Var("i");
    Var j = new Var("j");
    Stmt nest = new Stmt.For(i, 16, LoopKind.SERIAL, new Stmt.For(j, 40, LoopKind.SERIAL,
        new Stmt.Store(y, ImmutableList.of(i, j), Exprs.load(x, i, j))));
    LoopProgram p = new LoopProgram("p", ImmutableList.of(x), ImmutableList.of(y), ImmutableMap.of(),
        ImmutableList.of(), ImmutableList.of(new Kernel("copy_0", ImmutableList.of(x, y), nest, "node 'c'")));
    Programs.assertSameAsInterpreter(p, 1);
    assertFalse(Programs.emit(p).source().contains("transpose16"));
  }
}
