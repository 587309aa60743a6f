package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code fuse-epilogue}: a {@code Conv}, {@code Gemm} or {@code MatMul} (real types) and the
 * elementwise tail after it become one {@code FusedConv}, {@code FusedGemm} or
 * {@code FusedMatMul}, which computes the tail where it stores each output element. The tail, in
 * this order, each part optional:
 *
 * <ol>
 *   <li>a bias: {@code Add} of a constant that varies only along the output channel (Conv: dim 1,
 *       merged into the Conv's own bias; Gemm without C: any C shape; MatMul: anything that
 *       broadcasts to the output without growing it);
 *   <li>a residual: {@code Add} of a value of exactly the output's type (Z);
 *   <li>an activation: {@code Relu}, {@code LeakyRelu}, {@code Sigmoid}, {@code Tanh},
 *       {@code HardSigmoid}, {@code Gelu}, or {@code Clip} with constant bounds.
 * </ol>
 *
 * Every value inside the chain must have no other use; the last one may have any number.
 */
public final class FuseEpilogue implements GraphPass {
  public static final String NAME = "fuse-epilogue";

  private static final List<String> CORES = List.of("Conv", "Gemm", "MatMul");

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor edit = new GraphEditor(graph);
    for (Node n : graph.nodes()) {
      if (CORES.contains(n.op()) && !edit.isRemoved(n)) {
        Optional<String> why = fuse(n, edit);
        if (why.isPresent() && context.explain()) {
          context.remark(NAME, n.describe(), "not fused: " + why.get());
        }
      }
    }
    return edit.build();
  }

  private static Optional<String> fuse(Node core, GraphEditor edit) {
    TensorType type = core.output(0).type();
    if (!type.dtype().isFloating()) {
      return Optional.of("its type " + type + " is not real (activations are real functions)");
    }
    List<Node> chain = new ArrayList<>();
    Value cur = core.output(0);
    List<Optional<Value>> inputs = new ArrayList<>(core.inputs());
    while (inputs.size() < 4) {
      inputs.add(Optional.empty());
    }
    Attributes.Builder attrs = core.attributes().toBuilder();
    String stop = "";

    // 1. bias
    Optional<Node> add = edit.singleConsumer(cur, "Add").filter(a -> !edit.isRemoved(a));
    if (add.isPresent()) {
      Value other = GraphEditor.otherOperand(add.get(), cur).orElseThrow();
      Optional<Value> bias = other.equals(cur) ? Optional.empty()
          : bias(core, other, add.get(), inputs, edit);
      if (bias.isPresent()) {
        inputs.set(2, bias);
        if (core.op().equals("Gemm")) {
          attrs.remove("beta");
        }
        chain.add(add.get());
        cur = add.get().output(0);
      }
    }
    // 2. residual
    add = edit.singleConsumer(cur, "Add").filter(a -> !edit.isRemoved(a));
    if (add.isPresent()) {
      Value other = GraphEditor.otherOperand(add.get(), cur).orElseThrow();
      if (!other.equals(cur) && other.type().equals(type)
          && add.get().output(0).type().equals(type)) {
        inputs.set(3, Optional.of(other));
        chain.add(add.get());
        cur = add.get().output(0);
      } else {
        stop = "the Add after it adds %" + other.name() + ": " + other.type()
            + ", which is neither a bias constant nor a residual of the output's type " + type;
      }
    }
    // 3. activation
    Optional<Node> act = edit.singleConsumer(cur).filter(a -> !edit.isRemoved(a));
    Optional<Epilogue> epilogue = act.flatMap(a -> activation(a, edit));
    if (epilogue.isPresent()) {
      epilogue.get().addTo(attrs);
      chain.add(act.get());
      cur = act.get().output(0);
    } else if (stop.isEmpty()) {
      List<Node> users = edit.consumers(cur);
      stop = edit.isGraphOutput(cur) ? "its output %" + cur.name() + " is a graph output"
          : users.size() != 1 ? "%" + cur.name() + " has " + users.size() + " uses"
          : "%" + cur.name() + " is used by " + users.get(0).describe()
              + ", which is not a bias, a residual Add or a supported activation";
    }
    if (chain.isEmpty()) {
      return Optional.of(stop);
    }
    Node last = chain.get(chain.size() - 1);
    edit.remove(core);
    chain.subList(0, chain.size() - 1).forEach(edit::remove);
    edit.replace(last, new Node(core.name(), "Fused" + core.op(), ImmutableList.copyOf(inputs),
        last.outputs(), attrs.build()));
    return Optional.empty();
  }

  /** The bias input that {@code add} (adding {@code other}) gives {@code core}, if it is one. */
  private static Optional<Value> bias(
      Node core, Value other, Node add, List<Optional<Value>> inputs, GraphEditor edit) {
    Optional<Tensor> c = edit.constant(other);
    TensorType out = core.output(0).type();
    if (c.isEmpty() || !add.output(0).type().equals(out) || other.type().rank() > out.rank()) {
      return Optional.empty();
    }
    return switch (core.op()) {
      case "Conv" -> {
        // Only the channel dim (1 of the output) may differ from 1.
        Shape s = other.type().shape();
        for (int i = 0; i < s.rank(); i++) {
          int axis = out.rank() - s.rank() + i;
          if (axis != 1 && !s.dim(i).equals(Dim.of(1))) {
            yield Optional.empty();
          }
        }
        if (!out.shape().dim(1).isKnown()) {
          yield Optional.empty();
        }
        long channels = out.shape().dim(1).size();
        Tensor perChannel = c.get();
        if (perChannel.size() != channels) {
          yield Optional.empty();
        }
        TensorWriter b = TensorWriter.of(out.dtype(), channels);
        Optional<Tensor> old = inputs.get(2).flatMap(edit::constant);
        if (inputs.get(2).isPresent() && old.isEmpty()) {
          yield Optional.empty();
        }
        for (long m = 0; m < channels; m++) {
          // The unfused graph adds in the output type: round the sum like it does.
          double sum = (old.isPresent() ? old.get().getDouble(m) : 0) + perChannel.getDouble(m);
          b.setDouble(m, sum);
        }
        yield Optional.of(edit.addConstant(core.input(1).name() + ".bias", b.build()));
      }
      case "Gemm" -> inputs.get(2).isPresent() || other.type().rank() > 2 ? Optional.empty()
          : Optional.of(other);
      default -> inputs.get(2).isPresent() ? Optional.empty() : Optional.of(other);
    };
  }

  /** The epilogue of a supported activation node, if {@code n} is one. */
  private static Optional<Epilogue> activation(Node n, GraphEditor edit) {
    Attributes a = n.attributes();
    return switch (n.op()) {
      case "Relu", "Sigmoid", "Tanh" -> Optional.of(Epilogue.of(
          Attributes.builder().put("activation", n.op()).build()));
      case "LeakyRelu" -> Optional.of(Epilogue.of(params("LeakyRelu", a.has("alpha")
          ? new float[] {a.getFloat("alpha", 0.01f)} : new float[0])));
      case "HardSigmoid" -> Optional.of(Epilogue.of(params("HardSigmoid",
          a.has("alpha") || a.has("beta")
              ? new float[] {a.getFloat("alpha", 0.2f), a.getFloat("beta", 0.5f)} : new float[0])));
      case "Gelu" -> Optional.of(Epilogue.of(Attributes.builder().put("activation",
          a.getString("approximate", "none").equals("tanh") ? "FastGelu" : "Gelu").build()));
      case "Clip" -> {
        float[] bounds = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int i = 1; i <= 2; i++) {
          if (n.optionalInput(i).isPresent()) {
            Optional<Tensor> t = edit.constant(n.input(i));
            if (t.isEmpty() || (float) t.get().getDouble(0) != t.get().getDouble(0)) {
              yield Optional.empty();
            }
            bounds[i - 1] = (float) t.get().getDouble(0);
          }
        }
        yield Optional.of(Epilogue.of(params("Clip", bounds)));
      }
      default -> Optional.empty();
    };
  }

  private static Attributes params(String activation, float[] params) {
    Attributes.Builder b = Attributes.builder().put("activation", activation);
    if (params.length > 0) {
      b.putFloats("activation_params", params);
    }
    return b.build();
  }
}
