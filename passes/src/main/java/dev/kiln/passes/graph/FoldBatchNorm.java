package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.List;
import java.util.Optional;

/**
 * {@code fold-batchnorm}: an inference {@code BatchNormalization} of a {@code Conv}, {@code Gemm}
 * or 2-D {@code MatMul} output with constant weights is folded into those weights. With
 * {@code s = scale / sqrt(var + epsilon)} per channel, {@code BN(conv(x, W) + b) = conv(x, W s)
 * + (b - mean) s + B}: the channel is the Conv's output channel (W's dim 0) and, for the 2-D
 * products, the output column (a MatMul gets an {@code Add} of the folded bias, which
 * {@code fuse-epilogue} then takes in). New weights are computed in f64 and stored in the
 * weights' type.
 */
public final class FoldBatchNorm implements GraphPass {
  public static final String NAME = "fold-batchnorm";

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor edit = new GraphEditor(graph);
    for (Node bn : graph.nodes()) {
      if (bn.op().equals("BatchNormalization")) {
        Optional<String> why = fold(bn, edit);
        if (why.isPresent() && context.explain()) {
          context.remark(NAME, bn.describe(), "not folded: " + why.get());
        }
      }
    }
    return edit.build();
  }

  /** Folds {@code bn}, or says why not. */
  private static Optional<String> fold(Node bn, GraphEditor edit) {
    if (bn.outputs().size() != 1 || bn.attributes().getInt("training_mode", 0) != 0) {
      return Optional.of("it is in training form (more than one output, or training_mode = 1)");
    }
    Value x = bn.input(0);
    Optional<Node> producer = edit.producer(x).filter(p -> !edit.isRemoved(p));
    if (producer.isEmpty() || !List.of("Conv", "Gemm", "MatMul").contains(producer.get().op())) {
      return Optional.of("its input is not the output of a Conv, Gemm or MatMul");
    }
    Node p = producer.get();
    if (!edit.hasSingleUse(x)) {
      return Optional.of("the " + p.op() + " output %" + x.name() + " has other uses");
    }
    double[][] params = new double[4][];
    for (int i = 0; i < 4; i++) {
      Optional<Tensor> t = edit.constant(bn.input(i + 1));
      if (t.isEmpty()) {
        return Optional.of("input " + (i + 1) + " (%" + bn.input(i + 1).name() + ") is not a constant");
      }
      params[i] = t.get().toDoubleArray();
    }
    double epsilon = bn.attributes().getFloat("epsilon", 1e-5f);
    int channels = params[0].length;
    double[] scale = new double[channels];
    double[] shift = new double[channels];
    for (int c = 0; c < channels; c++) {
      scale[c] = params[0][c] / Math.sqrt(params[3][c] + epsilon);
      shift[c] = params[1][c] - params[2][c] * scale[c];
    }
    Optional<Tensor> weights = edit.constant(p.input(1));
    if (weights.isEmpty()) {
      return Optional.of("the " + p.op() + " weights %" + p.input(1).name() + " are not a constant");
    }
    Optional<Tensor> bias = p.optionalInput(2).flatMap(edit::constant);
    if (p.optionalInput(2).isPresent() && bias.isEmpty()) {
      return Optional.of("the " + p.op() + " bias %" + p.input(2).name() + " is not a constant");
    }
    Tensor w = weights.get();
    switch (p.op()) {
      case "Conv" -> {
        // W is [M, C / group, k...]: output channel m scales the block of W's row m.
        Tensor newW = scaleAlong(w, 0, scale);
        double[] newB = new double[channels];
        for (int c = 0; c < channels; c++) {
          newB[c] = (bias.isPresent() ? bias.get().getDouble(c) : 0) * scale[c] + shift[c];
        }
        Value wv = edit.addConstant(p.input(1).name() + ".bn", newW);
        Value bv = edit.addConstant(p.input(1).name() + ".bn_bias",
            Tensor.ofDoubles(w.dtype(), new long[] {channels}, newB));
        edit.replace(bn, node(p, "Conv", List.of(p.input(0), wv, bv), bn.output(0),
            p.attributes()));
      }
      case "Gemm" -> {
        if (p.attributes().getInt("transB", 0) == 0) {
          w = scaleAlong(w, 1, scale);
        } else {
          w = scaleAlong(w, 0, scale);
        }
        double beta = p.attributes().getFloat("beta", 1.0f);
        long rows = bias.isPresent() && bias.get().rank() == 2 ? bias.get().dim(0) : 1;
        TensorWriter c = TensorWriter.of(w.dtype(), rows == 1 ? new long[] {channels}
            : new long[] {rows, channels});
        long[] cShape = bias.map(Tensor::shape).orElse(new long[0]);
        long[] full = {rows, channels};
        for (long at = 0; at < rows * channels; at++) {
          int j = (int) (at % channels);
          double cv = bias.isPresent()
              ? bias.get().getDouble(dev.kiln.ir.op.Shapes.broadcastIndex(at, full, cShape)) : 0;
          c.setDouble(at, beta * cv * scale[j] + shift[j]);
        }
        Value wv = edit.addConstant(p.input(1).name() + ".bn", w);
        Value cv = edit.addConstant(p.input(1).name() + ".bn_bias", c.build());
        edit.replace(bn, node(p, "Gemm", List.of(p.input(0), wv, cv), bn.output(0),
            p.attributes().toBuilder().remove("beta").build()));
      }
      default -> {
        if (w.rank() != 2 || x.type().rank() != 2) {
          return Optional.of("the MatMul is not 2-D, so BatchNormalization's channel (dim 1) is"
              + " not the MatMul's output column");
        }
        Value wv = edit.addConstant(p.input(1).name() + ".bn", scaleAlong(w, 1, scale));
        Value bv = edit.addConstant(p.input(1).name() + ".bn_bias",
            Tensor.ofDoubles(w.dtype(), new long[] {channels}, shift));
        Value product = new Value(edit.freshName(x.name() + ".bn"),
            new TensorType(x.type().dtype(), bn.output(0).type().shape()));
        edit.replace(bn, List.of(
            node(p, "MatMul", List.of(p.input(0), wv), product, Attributes.EMPTY),
            new Node(bn.name(), "Add", ImmutableList.of(Optional.of(product), Optional.of(bv)),
                ImmutableList.of(bn.output(0)), Attributes.EMPTY)));
      }
    }
    edit.remove(p);
    return Optional.empty();
  }

  private static Node node(Node like, String op, List<Value> inputs, Value out, Attributes attrs) {
    return new Node(like.name(), op,
        inputs.stream().map(Optional::of).collect(ImmutableList.toImmutableList()),
        ImmutableList.of(out), attrs);
  }

  /** {@code t} with every element multiplied by {@code factor[index along axis]}. */
  private static Tensor scaleAlong(Tensor t, int axis, double[] factor) {
    long[] shape = t.shape();
    long inner = 1;
    for (int d = axis + 1; d < shape.length; d++) {
      inner *= shape[d];
    }
    TensorWriter out = TensorWriter.of(t.dtype(), shape);
    for (long i = 0; i < t.size(); i++) {
      int c = (int) ((i / inner) % shape[axis]);
      out.setDouble(i, t.getDouble(i) * factor[c]);
    }
    return out.build();
  }
}
