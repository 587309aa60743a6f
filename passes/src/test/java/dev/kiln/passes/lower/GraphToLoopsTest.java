package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GraphToLoopsTest {
  private static final TensorType F32_2 = TensorType.of(DType.F32, 2);

  /**
   * Every lowering sees the bytes of the program's constants, inputs and computed values (the
   * cost models' residency hint).
   */
  @Test
  void loweringsSeeTheBytesOfOneRun() {
    GraphBuilder b = Graph.builder("g");
    Value x = b.input("x", F32_2);
    Value c = b.constant("c", Tensor.ofFloats(new long[] {2}, 5, 6));
    Value d = b.constant("d", Tensor.ofFloats(new long[] {2}, 1, 2));
    b.constant("unused", Tensor.ofFloats(new long[] {100}, new float[100]));
    Value h = new Value("h", F32_2);
    Value y = new Value("y", F32_2);
    b.addNode(Node.of("Add", new Value[] {x, c}, h, Attributes.EMPTY));
    b.addNode(Node.of("Add", new Value[] {h, d}, y, Attributes.EMPTY));
    b.output(y);
    List<Long> seen = new ArrayList<>();
    LoweringRegistry standard = LoweringRegistry.standard();
    OpLowering add = standard.lookup("Add").orElseThrow();
    GraphToLoops.lower(b.build(), standard.replacing("Add", ctx -> {
      seen.add(ctx.runBytes());
      return add.lower(ctx);
    }));
    // c and d, x, h and y: 10 floats; the unused constant is not the program's.
    assertEquals(List.of(40L, 40L), seen);
  }

  @Test
  void buffersFollowValuesAndOutputsWithoutTheirOwnNodeAreCopied() {
    GraphBuilder b = Graph.builder("g");
    Value x = b.input("x", F32_2);
    Value c = b.constant("c", Tensor.ofFloats(new long[] {2}, 5, 6));
    b.constant("unused", Tensor.ofFloats(new long[] {1}, 0));
    Value h = new Value("h", F32_2);
    Value y = new Value("y", F32_2);
    b.addNode(Node.of("Neg", x, h));
    b.addNode(Node.of("Add", new Value[] {h, c}, y, Attributes.EMPTY));
    b.output(y).output(x).output(c).output(y);
    LoopProgram p = GraphToLoops.lower(b.build());

    assertEquals(List.of("x"), names(p.inputs()));
    assertEquals(List.of("y", "x.out", "c.out", "y.out"), names(p.outputs()));
    assertEquals(List.of("c"), names(List.copyOf(p.constants().keySet())));
    assertEquals(List.of("h"), names(p.scratch()));
    assertEquals(BufferRole.SCRATCH, p.scratch().get(0).role());
    assertEquals("x", p.outputs().get(1).origin());
    assertEquals(List.of("neg_0", "add_1", "copy_0", "copy_1", "copy_2"),
        p.kernels().stream().map(Kernel::name).toList());
    assertEquals("Add node defining %y", p.kernels().get(1).source());

    Map<String, Tensor> out = LoopInterpreter.run(p, Map.of("x", Tensor.ofFloats(new long[] {2}, 1, 2)));
    List<Tensor> values = new ArrayList<>(out.values());
    assertEquals(Tensor.ofFloats(new long[] {2}, 4, 4), values.get(0));
    assertEquals(Tensor.ofFloats(new long[] {2}, 1, 2), values.get(1));
    assertEquals(Tensor.ofFloats(new long[] {2}, 5, 6), values.get(2));
    assertEquals(Tensor.ofFloats(new long[] {2}, 4, 4), values.get(3));
  }

  /**
   * A lowering's own scratch buffer is named after the node's output, never takes a name a value
   * has (here a later value is called {@code y.tmp}), and joins the program's scratch buffers
   * after the node's outputs, used by its kernel only.
   */
  @Test
  void loweringsMayAskForScratchBuffersOfTheirOwn() {
    GraphBuilder b = Graph.builder("g");
    Value x = b.input("x", F32_2);
    Value y = new Value("y", F32_2);
    Value later = new Value("y.tmp", F32_2);
    b.addNode(Node.of("Neg", x, y));
    b.addNode(Node.of("Neg", y, later));
    b.output(later);
    LoweringRegistry viaScratch = LoweringRegistry.standard().replacing("Neg", ctx -> {
      Buffer tmp = ctx.scratch("tmp", DType.F32, 2);
      Buffer in = ctx.input(0);
      Buffer out = ctx.output(0);
      return dev.kiln.ir.loop.Stmt.Block.of(
          Nests.pointwise(ctx, tmp, v -> new dev.kiln.ir.loop.Expr.Unary(dev.kiln.ir.loop.UnaryOp.NEG,
              dev.kiln.ir.loop.Exprs.load(in, v))),
          Nests.pointwise(ctx, out, v -> dev.kiln.ir.loop.Exprs.load(tmp, v)));
    });
    LoopProgram p = GraphToLoops.lower(b.build(), viaScratch);
    assertEquals(List.of("y", "y.tmp1", "y.tmp.tmp"), names(p.scratch()));
    assertEquals(List.of("x", "y", "y.tmp1"), names(p.kernels().get(0).buffers()));
    assertEquals(List.of("y", "y.tmp", "y.tmp.tmp"), names(p.kernels().get(1).buffers()));
    assertEquals(BufferRole.SCRATCH, p.scratch().get(1).role());
    Map<String, Tensor> out = LoopInterpreter.run(p, Map.of("x", Tensor.ofFloats(new long[] {2}, 1, -2)));
    assertEquals(Tensor.ofFloats(new long[] {2}, 1, -2), out.values().iterator().next());
  }

  @Test
  void onlyAnExistingLoweringCanBeReplaced() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LoweringRegistry.standard().replacing("NoSuchOp", ctx -> null));
    assertEquals("no lowering for NoSuchOp to replace", e.getMessage());
  }

  @Test
  void constantsReadOnlyAtCompileTimeAreNotBuffers() {
    GraphBuilder b = Graph.builder("g");
    Value x = b.input("x", TensorType.of(DType.F32, 2, 3));
    Value shape = b.constant("shape", Tensor.ofLongs(new long[] {1}, 6));
    Value y = new Value("y", TensorType.of(DType.F32, 6));
    b.addNode(Node.of("Reshape", new Value[] {x, shape}, y, Attributes.EMPTY));
    b.output(y);
    LoopProgram p = GraphToLoops.lower(b.build());
    assertEquals(Map.of(), p.constants());
    assertEquals(List.of("x", "y"), names(p.kernels().get(0).buffers()));
  }

  @Test
  void symbolicShapesMustBeBoundFirst() {
    GraphBuilder b = Graph.builder("g");
    Value x = b.input("x", TensorType.of(DType.F32, Dim.named("N"), Dim.of(4)));
    Value y = new Value("y", x.type());
    b.addNode(Node.of("Relu", x, y));
    b.output(y);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GraphToLoops.lower(b.build()));
    assertEquals("value %x has type f32[N, 4], which is not static; bind the input shapes"
        + " (BindShapes) before lowering", e.getMessage());
  }

  @Test
  void kernelNamesAreSnakeCaseWithTheNodeIndex() {
    assertEquals("reduce_sum_7", GraphToLoops.kernelName("ReduceSum", 7));
    assertEquals("gather_nd_0", GraphToLoops.kernelName("GatherND", 0));
    assertEquals("lrn_2", GraphToLoops.kernelName("LRN", 2));
  }

  /**
   * Operators BindShapes folds to constants still lower when they reach GraphToLoops unfolded
   * (too large to fold, or a graph lowered without binding): here lowered directly.
   */
  @Test
  void valueOperatorsLowerUnfolded() {
    checkUnfolded("Range", List.of(Tensor.scalar(DType.I64, 2), Tensor.scalar(DType.I64, 11),
        Tensor.scalar(DType.I64, 3)), Attributes.EMPTY, TensorType.of(DType.I64, 3));
    checkUnfolded("Range", List.of(Tensor.scalar(DType.F32, 0.5), Tensor.scalar(DType.F32, -1),
        Tensor.scalar(DType.F32, -0.25)), Attributes.EMPTY, TensorType.of(DType.F32, 6));
    checkUnfolded("ConstantOfShape", List.of(Tensor.ofLongs(new long[] {2}, 2, 3)),
        Attributes.builder().put("value", Attribute.of(Tensor.ofLongs(DType.I32, new long[] {1}, 9))).build(),
        TensorType.of(DType.I32, 2, 3));
    checkUnfolded("Shape", List.of(Tensor.zeros(DType.F32, 2, 0, 3)), Attributes.EMPTY,
        TensorType.of(DType.I64, 3));
    checkUnfolded("Size", List.of(Tensor.zeros(DType.F32, 2, 5)), Attributes.EMPTY,
        new TensorType(DType.I64, dev.kiln.ir.type.Shape.SCALAR));
    checkUnfolded("EyeLike", List.of(Tensor.zeros(DType.F32, 3, 4)),
        Attributes.builder().put("k", 1L).build(), TensorType.of(DType.F32, 3, 4));
    checkUnfolded("Constant", List.of(), Attributes.builder().putFloats("value_floats", 1, 2, 2.5f).build(),
        TensorType.of(DType.F32, 3));
  }

  /** Inputs of Shape, Size and EyeLike are graph inputs; of the others, constants. */
  private static void checkUnfolded(String op, List<Tensor> args, Attributes attrs, TensorType out) {
    GraphBuilder b = Graph.builder("g");
    List<Optional<Value>> ins = new ArrayList<>();
    Map<String, Tensor> feeds = new java.util.HashMap<>();
    boolean fromInputs = op.equals("Shape") || op.equals("Size") || op.equals("EyeLike");
    for (int i = 0; i < args.size(); i++) {
      Value v = fromInputs ? b.input("a" + i, args.get(i).type()) : b.constant("a" + i, args.get(i));
      if (fromInputs) {
        feeds.put(v.name(), args.get(i));
      }
      ins.add(Optional.of(v));
    }
    Value y = new Value("y", out);
    b.addNode(new Node("n", op, ImmutableList.copyOf(ins), ImmutableList.of(y), attrs));
    b.output(y);
    Graph g = b.build();
    LoopProgram p = GraphToLoops.lower(g);
    assertEquals(1, p.kernels().size() - (int) p.kernels().stream().filter(k -> k.name().startsWith("copy")).count(),
        op + " lowered to a kernel");
    Tensor expected = new ReferenceInterpreter(g, Differential.OPS).run(feeds).get("y");
    Tensor actual = LoopInterpreter.run(p, feeds).values().iterator().next();
    Differential.compare(op, expected, actual, p);
  }

  private static List<String> names(List<Buffer> buffers) {
    return buffers.stream().map(Buffer::name).toList();
  }
}
