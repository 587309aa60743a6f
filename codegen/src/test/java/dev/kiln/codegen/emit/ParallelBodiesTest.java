package dev.kiln.codegen.emit;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Parallel loop bodies as methods shared by every loop with the same body ({@link ParallelBodies}). */
class ParallelBodiesTest {
  private static final Pattern BODY = Pattern.compile("private static void (parallelBody\\w*)\\(");

  /** {@code y[i, j] = x[i, j] * scale[0] + s} over a parallel i, s = i (an enclosing local), j vectorized. */
  private static Kernel scaled(String name, Buffer x, Buffer scale, Buffer y) {
    Var i = new Var(name + "_i");
    Var j = new Var(name + "_j");
    Var r = new Var(name + "_r");
    Local s = new Local(name + "_s", DType.F32);
    long rows = x.dim(0);
    long cols = x.dim(1);
    // An enclosing serial loop r (read inside) and a local s, both passed to the shared body.
    Stmt body = new Stmt.For(r, 2, LoopKind.SERIAL, Stmt.Block.of(
        new Stmt.Let(s, Exprs.cast(DType.F32, r)),
        new Stmt.For(i, rows, LoopKind.PARALLEL, new Stmt.For(j, cols, LoopKind.VECTORIZED,
            new Stmt.Store(y, ImmutableList.of(i, j),
                Exprs.add(Exprs.mul(load(x, i, j), load(scale, index(0))), s))))));
    return new Kernel(name, ImmutableList.of(x, scale, y), body, "node '" + name + "'");
  }

  private static List<String> bodies(String source) {
    List<String> names = new ArrayList<>();
    Matcher m = BODY.matcher(source);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static int calls(String source, String method) {
    return source.split(Pattern.quote(method + "("), -1).length - 2;
  }

  @Test
  void sameShapedLoopsOnOtherBuffersShareOneMethod() {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 6, 20);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.INPUT, 1);
    Buffer t = Buffer.of("t", DType.F32, BufferRole.SCRATCH, 6, 20);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 6, 20);
    LoopProgram p = new LoopProgram("p", ImmutableList.of(x, w), ImmutableList.of(y), ImmutableMap.of(),
        ImmutableList.of(t), ImmutableList.of(scaled("first", x, w, t), scaled("second", t, w, y)));
    String source = Programs.emit(p).source();
    List<String> bodies = bodies(source);
    assertEquals(1, bodies.size(), source);
    assertEquals(2, calls(source, bodies.get(0)), source);
    Programs.assertSameAsInterpreter(p, 1);
  }

  @Test
  void otherShapesAndOtherLiteralsGetMethodsOfTheirOwn() {
    // Same structure, but the second loop runs over other extents (other strides), and the third
    // reads a one-element constant baked in as another literal: no method may serve two of them.
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 6, 20);
    Buffer one = Buffer.of("one", DType.F32, BufferRole.INPUT, 1);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 6, 20);
    Buffer x2 = Buffer.of("x2", DType.F32, BufferRole.INPUT, 5, 24);
    Buffer y2 = Buffer.of("y2", DType.F32, BufferRole.OUTPUT, 5, 24);
    Buffer three = Buffer.of("three", DType.F32, BufferRole.CONSTANT, 1);
    Buffer y3 = Buffer.of("y3", DType.F32, BufferRole.OUTPUT, 6, 20);
    Buffer four = Buffer.of("four", DType.F32, BufferRole.CONSTANT, 1);
    Buffer y4 = Buffer.of("y4", DType.F32, BufferRole.OUTPUT, 6, 20);
    LoopProgram p = new LoopProgram("p", ImmutableList.of(x, one, x2), ImmutableList.of(y, y2, y3, y4),
        ImmutableMap.of(three, Tensor.ofFloats(new long[] {1}, new float[] {3}),
            four, Tensor.ofFloats(new long[] {1}, new float[] {4})),
        ImmutableList.of(), ImmutableList.of(scaled("a", x, one, y), scaled("b", x2, one, y2),
            scaled("c", x, three, y3), scaled("d", x, four, y4)));
    String source = Programs.emit(p).source();
    List<String> bodies = bodies(source);
    assertEquals(4, bodies.size(), source);
    bodies.forEach(b -> assertEquals(1, calls(source, b), source));
    assertTrue(source.contains("3.0f") && source.contains("4.0f"), source);
    Programs.assertSameAsInterpreter(p, 2);
  }

  @Test
  void nestedParallelLoopsShareTheirInnerBodies() {
    // Two kernels of two nested parallel loops each: both levels shared, the inner one called
    // from the outer one's method.
    List<Kernel> kernels = new ArrayList<>();
    List<Buffer> ins = new ArrayList<>();
    List<Buffer> outs = new ArrayList<>();
    for (String n : List.of("p", "q")) {
      Buffer x = Buffer.of(n + "x", DType.F64, BufferRole.INPUT, 3, 4, 5);
      Buffer y = Buffer.of(n + "y", DType.F64, BufferRole.OUTPUT, 3, 4, 5);
      Var i = new Var(n + "i");
      Var j = new Var(n + "j");
      Var k = new Var(n + "k");
      Local s = new Local(n + "s", DType.F64);
      kernels.add(new Kernel(n, ImmutableList.of(x, y), new Stmt.For(i, 3, LoopKind.PARALLEL, Stmt.Block.of(
          new Stmt.Let(s, Exprs.cast(DType.F64, i)),
          new Stmt.For(j, 4, LoopKind.PARALLEL, new Stmt.For(k, 5, LoopKind.SERIAL,
              new Stmt.Store(y, ImmutableList.of(i, j, k), Exprs.mul(s, load(x, i, j, k))))))), n));
      ins.add(x);
      outs.add(y);
    }
    LoopProgram p = new LoopProgram("p", ImmutableList.copyOf(ins), ImmutableList.copyOf(outs),
        ImmutableMap.of(), ImmutableList.of(), ImmutableList.copyOf(kernels));
    String source = Programs.emit(p).source();
    assertEquals(2, bodies(source).size(), source);
    Programs.assertSameAsInterpreter(p, 3);
  }

  @Test
  void freeNamesAreInOrderOfFirstUse() {
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, 4);
    Buffer b = Buffer.of("b", DType.F32, BufferRole.OUTPUT, 4);
    Var outer = new Var("o");
    Var inner = new Var("n");
    Local bound = new Local("bound", DType.F32);
    Local free = new Local("free", DType.F32);
    Stmt s = new Stmt.For(inner, 4, LoopKind.SERIAL, Stmt.Block.of(
        new Stmt.Let(bound, Exprs.add(load(a, inner), free)),
        new Stmt.Store(b, ImmutableList.of(outer), Exprs.add(bound, load(a, outer)))));
    FreeNames names = FreeNames.of(s, java.util.Set.of());
    assertEquals(List.of(a, b), names.buffers());
    assertEquals(List.of(outer), names.vars());
    assertEquals(List.of(free), names.locals());
  }
}
