package dev.kiln.frontend.onnx;

import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import java.util.List;
import java.util.Optional;

/** What a {@link NodeImporter} may do while mapping one ONNX node into the graph. */
interface NodeEmitter {
  /**
   * Appends a Kiln node, checked and with inferred output types.
   *
   * @param outputNames ONNX names to derive the Kiln output names from (not bound)
   * @throws InvalidOnnxException when Kiln rejects the application
   */
  List<Value> emit(String op, List<Optional<Value>> inputs, Attributes attrs,
      List<String> outputNames);

  /** A new constant value. */
  Value constant(String nameHint, Tensor data);

  /** The value of {@code v} when it is known at import time. */
  Optional<Tensor> known(Value v);

  /** Makes {@code onnxName} refer to {@code v} from here on. */
  void bind(String onnxName, Value v);

  /**
   * Imports a subgraph (a branch of {@code If}) that sees the enclosing names, and returns
   * its outputs; empty when it failed (already reported).
   */
  Optional<List<Value>> importSubgraph(Onnx.GraphProto graph, String what);
}
