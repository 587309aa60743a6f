package dev.kiln.bench;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.runtime.compiled.KernelProfiler.KernelTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kiln's kernels beside the ONNX Runtime nodes that compute the same part of the model, so a
 * profile shows where Kiln loses, layer by layer.
 *
 * <p>Both engines fuse, each its own way, so both are mapped onto the model's own nodes. A Kiln
 * kernel names the model nodes it is built from ({@code FusedMatMul node '/linear1/MatMul'}); a
 * model node no kernel names (an epilogue fused into its producer, a reshape made free) belongs to
 * the kernel of its nearest named producer. An ONNX Runtime node names a model node, or a model
 * value ({@code /layer1/relu/Relu_output_0_nchwc}: its NCHWc rewrite names nodes after the value
 * they define), or carries a fused node's name and a suffix ({@code /linear1/MatMul/MatMulAddFusion}:
 * the longest {@code /}-prefix that names a node counts) or a prefix ({@code fused /net.0/Gemm}: a
 * Gemm with its activation fused). What neither side can place stays a row
 * of its own (ONNX Runtime's layout reorders, a {@code SkipLayerNormalization} it named itself):
 * its time is shown, never dropped.
 */
final class NodeComparison {
  /**
   * One row: a Kiln kernel and the ONNX Runtime nodes it matched, or a node of one side alone.
   *
   * @param kernel the Kiln kernel, null for ONNX Runtime nodes no kernel names
   * @param ortNodes the ONNX Runtime nodes of this row, empty if none matched
   */
  record Row(KernelTime kernel, List<OrtProfile.NodeTime> ortNodes) {
    double kilnMillis() {
      return kernel == null ? 0 : kernel.millisPerRun();
    }

    double ortMillis() {
      return ortNodes.stream().mapToDouble(OrtProfile.NodeTime::microsPerRun).sum() / 1e3;
    }
  }

  /** A node name in a kernel's description, as {@code Node.describe()} quotes it. */
  private static final Pattern NODE_NAME = Pattern.compile("node '(.*?)'(?= \\+ | \\(|$)");

  /** What ONNX Runtime puts before the name of a Gemm it fused an activation into. */
  private static final String FUSED_PREFIX = "fused ";

  /** What ONNX Runtime's NCHWc rewrite appends to the value a node it made defines. */
  private static final String NCHWC_SUFFIX = "_nchwc";

  private NodeComparison() {}

  /** The rows without the model's graph: nodes are matched by the names the kernels give. */
  static List<Row> rows(List<KernelTime> kernels, List<OrtProfile.NodeTime> ortNodes) {
    return rows(kernels, ortNodes, null);
  }

  /**
   * The rows, the one with the most time of either engine first.
   *
   * @param model the model as read (before Kiln's passes), or null if unknown
   */
  static List<Row> rows(List<KernelTime> kernels, List<OrtProfile.NodeTime> ortNodes, Graph model) {
    Map<String, Integer> kernelOfNode = new HashMap<>();
    for (int k = 0; k < kernels.size(); k++) {
      for (String node : nodeNames(kernels.get(k).source())) {
        kernelOfNode.putIfAbsent(node, k);
      }
    }
    Map<String, String> producerOfValue = new HashMap<>();
    if (model != null) {
      attributeUnnamedNodes(model, kernelOfNode);
      model.producers().forEach((value, node) -> producerOfValue.put(value, node.name()));
    }
    List<List<OrtProfile.NodeTime>> matched = new ArrayList<>();
    kernels.forEach(k -> matched.add(new ArrayList<>()));
    List<Row> rows = new ArrayList<>();
    for (OrtProfile.NodeTime node : ortNodes) {
      Integer k = kernelOf(node.name(), kernelOfNode, producerOfValue);
      if (k != null) {
        matched.get(k).add(node);
      } else {
        rows.add(new Row(null, List.of(node)));
      }
    }
    for (int k = 0; k < kernels.size(); k++) {
      rows.add(new Row(kernels.get(k), List.copyOf(matched.get(k))));
    }
    rows.sort(Comparator.comparingDouble((Row r) -> Math.max(r.kilnMillis(), r.ortMillis())).reversed());
    return rows;
  }

  /** The model nodes a kernel's description names, in order. */
  static List<String> nodeNames(String kernelSource) {
    List<String> names = new ArrayList<>();
    Matcher m = NODE_NAME.matcher(kernelSource);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /**
   * Gives each model node no kernel names the kernel of its nearest producer that has one (in
   * topological order, so a chain of fused epilogues follows its head).
   */
  private static void attributeUnnamedNodes(Graph model, Map<String, Integer> kernelOfNode) {
    Map<String, Node> producers = model.producers();
    for (Node node : model.nodes()) {
      if (node.name().isEmpty() || kernelOfNode.containsKey(node.name())) {
        continue;
      }
      for (Value input : node.presentInputs()) {
        Node producer = producers.get(input.name());
        Integer k = producer == null ? null : kernelOfNode.get(producer.name());
        if (k != null) {
          kernelOfNode.put(node.name(), k);
          break;
        }
      }
    }
  }

  private static Integer kernelOf(String ortName, Map<String, Integer> kernelOfNode,
      Map<String, String> producerOfValue) {
    String name = ortName.endsWith(NCHWC_SUFFIX)
        ? ortName.substring(0, ortName.length() - NCHWC_SUFFIX.length()) : ortName;
    // A Gemm with its activation fused (ONNX Runtime's FusedGemm) is named "fused " + the Gemm's
    // name; tried as written first, in case a model names a node so itself.
    if (!kernelOfNode.containsKey(name) && name.startsWith(FUSED_PREFIX)) {
      Integer k = kernelOf(name.substring(FUSED_PREFIX.length()), kernelOfNode, producerOfValue);
      if (k != null) {
        return k;
      }
    }
    while (!name.isEmpty()) {
      Integer k = kernelOfNode.get(name);
      if (k == null && producerOfValue.containsKey(name)) {
        k = kernelOfNode.get(producerOfValue.get(name));
      }
      if (k != null) {
        return k;
      }
      int slash = name.lastIndexOf('/');
      if (slash <= 0) {
        return null;
      }
      name = name.substring(0, slash);
      // ONNX Runtime writes "/a/MatMul_1/MatmulTransposeFusion//MatMulScaleFusion/": empty segments.
      while (name.endsWith("/")) {
        name = name.substring(0, name.length() - 1);
      }
    }
    return null;
  }
}
