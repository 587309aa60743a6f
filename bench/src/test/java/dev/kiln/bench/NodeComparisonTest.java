package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.runtime.compiled.KernelProfiler.KernelTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeComparisonTest {
  private static KernelTime kernel(int index, String source, double millisPerRun) {
    return new KernelTime("p", index, source, (long) (millisPerRun * 1e6 * 10), 10);
  }

  @Test
  void readsTheNodeNamesOfAKernel() {
    assertEquals(List.of("/linear1/MatMul", "/Relu"),
        NodeComparison.nodeNames("FusedMatMul node '/linear1/MatMul' + Relu node '/Relu'"));
    assertEquals(List.of("it's"), NodeComparison.nodeNames("Conv node 'it's'"));
    assertEquals(List.of(), NodeComparison.nodeNames("Conv node defining %y"));
  }

  @Test
  void matchesFusedOrtNodesByTheirLongestNamedPrefix() {
    KernelTime gemm = kernel(0, "FusedMatMul node '/linear1/MatMul' + Relu node '/Relu'", 1.0);
    KernelTime attn = kernel(1, "MatMul node '/attn/MatMul_1' + Div node '/attn/Div'", 0.2);
    KernelTime alone = kernel(2, "Softmax node '/attn/Softmax'", 0.05);
    List<OrtProfile.NodeTime> ort = List.of(
        new OrtProfile.NodeTime("/linear1/MatMul/MatMulAddFusion", "Gemm", 700),
        new OrtProfile.NodeTime("/Relu", "Relu", 100),
        new OrtProfile.NodeTime("/attn/MatMul_1/MatmulTransposeFusion//MatMulScaleFusion/", "FusedMatMul", 300),
        new OrtProfile.NodeTime("SkipLayerNormalization", "SkipLayerNormalization", 40));
    List<NodeComparison.Row> rows = NodeComparison.rows(List.of(gemm, attn, alone), ort);

    assertEquals(4, rows.size());
    assertEquals(gemm, rows.get(0).kernel());
    assertEquals(0.8, rows.get(0).ortMillis(), 1e-9);
    assertEquals(attn, rows.get(1).kernel());
    assertEquals(0.3, rows.get(1).ortMillis(), 1e-9);
    // Kiln's softmax has no ONNX Runtime node (ONNX Runtime fused it elsewhere): a row of its own.
    assertEquals(alone, rows.get(2).kernel());
    assertEquals(List.of(), rows.get(2).ortNodes());
    // A node ONNX Runtime named itself: its time stays, in a row without a kernel.
    assertNull(rows.get(3).kernel());
    assertEquals(0.04, rows.get(3).ortMillis(), 1e-9);
  }

  @Test
  void aGemmWithItsActivationFusedIsNamedFusedAndTheGemm() {
    KernelTime gemm = kernel(0, "FusedGemm node '/net/net.0/Gemm'", 0.3);
    KernelTime last = kernel(1, "Gemm node '/net/net.4/Gemm'", 0.02);
    List<NodeComparison.Row> rows = NodeComparison.rows(List.of(gemm, last), List.of(
        new OrtProfile.NodeTime("fused /net/net.0/Gemm", "FusedGemm", 280),
        new OrtProfile.NodeTime("/net/net.4/Gemm", "Gemm", 12),
        new OrtProfile.NodeTime("fused /other/Gemm", "FusedGemm", 5)));

    assertEquals(3, rows.size());
    assertEquals(gemm, rows.get(0).kernel());
    assertEquals(0.28, rows.get(0).ortMillis(), 1e-9);
    assertEquals(last, rows.get(1).kernel());
    assertEquals(0.012, rows.get(1).ortMillis(), 1e-9);
    // "fused " before a name no kernel has: a row of its own, as any unplaced node.
    assertNull(rows.get(2).kernel());
  }

  @Test
  void aPrefixMatchesOnlyWholeNameSegments() {
    KernelTime k = kernel(0, "MatMul node '/a/Mat'", 1.0);
    List<NodeComparison.Row> rows = NodeComparison.rows(List.of(k),
        List.of(new OrtProfile.NodeTime("/a/MatMul", "MatMul", 10)));
    assertEquals(2, rows.size());
    assertNull(rows.get(1).kernel());
  }

  @Test
  void fusedEpiloguesAndNchwcNodesFindTheirKernelThroughTheModel() {
    // conv -> clip -> conv2: Kiln's kernels name the convs only (the clip is an epilogue);
    // ONNX Runtime's NCHWc nodes are named after the values they define.
    TensorType t = TensorType.of(DType.F32, 1, 8, 4, 4);
    GraphBuilder b = Graph.builder("g");
    Value x = b.input("x", t);
    Value c = new Value("/conv/Conv_output_0", t);
    Value r = new Value("/clip/Clip_output_0", t);
    Value y = new Value("y", t);
    b.addNode(Node.of("Conv", x, c).withName("/conv/Conv"));
    b.addNode(Node.of("Clip", c, r).withName("/clip/Clip"));
    b.addNode(Node.of("Conv", r, y).withName("/conv2/Conv"));
    b.output(y);
    Graph model = b.build();
    KernelTime first = kernel(0, "NchwcConv node '/conv/Conv'", 0.5);
    KernelTime second = kernel(1, "NchwcConv node '/conv2/Conv'", 0.3);
    List<OrtProfile.NodeTime> ort = List.of(
        new OrtProfile.NodeTime("/clip/Clip_output_0_nchwc", "Conv", 400),
        new OrtProfile.NodeTime("/conv2/Conv", "Conv", 200),
        new OrtProfile.NodeTime("ReorderInput", "ReorderInput", 50));

    List<NodeComparison.Row> rows = NodeComparison.rows(List.of(first, second), ort, model);
    assertEquals(first, rows.get(0).kernel());
    assertEquals(0.4, rows.get(0).ortMillis(), 1e-9);
    assertEquals(second, rows.get(1).kernel());
    assertEquals(0.2, rows.get(1).ortMillis(), 1e-9);
    assertNull(rows.get(2).kernel());

    // Without the model the value name cannot be placed: a row of its own.
    List<NodeComparison.Row> blind = NodeComparison.rows(List.of(first, second), ort);
    assertEquals(List.of(), blind.get(0).ortNodes());
  }
}
