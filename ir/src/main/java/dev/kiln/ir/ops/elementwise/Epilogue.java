package dev.kiln.ir.ops.elementwise;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;

/**
 * The elementwise tail of a fused operator ({@code FusedConv}, {@code FusedGemm},
 * {@code FusedMatMul}): {@code y = act(core + Z)} with an optional residual Z and an optional
 * activation, given by the attributes {@code activation} (a name) and {@code activation_params}
 * (its float parameters), as ONNX Runtime's {@code com.microsoft.FusedConv} writes them:
 *
 * <table>
 *   <caption>activations</caption>
 *   <tr><th>activation</th><th>activation_params</th><th>the same as</th></tr>
 *   <tr><td>Relu, Sigmoid, Tanh</td><td>none</td><td>that operator</td></tr>
 *   <tr><td>LeakyRelu</td><td>[alpha] or none</td><td>LeakyRelu {alpha}</td></tr>
 *   <tr><td>HardSigmoid</td><td>[alpha, beta] or none</td><td>HardSigmoid {alpha, beta}</td></tr>
 *   <tr><td>Clip</td><td>[min, max]</td><td>Clip with those bounds</td></tr>
 *   <tr><td>Gelu</td><td>none</td><td>Gelu (exact, erf)</td></tr>
 *   <tr><td>FastGelu</td><td>none</td><td>Gelu {approximate = "tanh"}</td></tr>
 * </table>
 *
 * <p>The reference semantics apply the unfused operators' own reference code in order (Add of
 * Z, then the activation), so a fused node computes what the subgraph it replaces computes.
 */
public record Epilogue(Optional<String> activation, ImmutableList<Float> params) {
  /** The attributes every fused operator takes besides its core operator's. */
  public static final List<AttrSpec> ATTRIBUTES = List.of(
      AttrSpec.optional("activation", AttributeKind.STRING),
      AttrSpec.optional("activation_params", AttributeKind.FLOATS));

  /** The activations a fused operator can apply, in the order of the table above. */
  public static final List<String> ACTIVATIONS = List.of(
      "Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "Clip", "Gelu", "FastGelu");

  public Epilogue {
    params = ImmutableList.copyOf(params);
  }

  public static Epilogue none() {
    return new Epilogue(Optional.empty(), ImmutableList.of());
  }

  /** The epilogue an application's attributes describe; throws {@link OpException} naming the problem. */
  public static Epilogue of(Attributes attrs) {
    Optional<String> act = attrs.get("activation").map(a -> attrs.getString("activation", ""));
    ImmutableList<Float> params = attrs.getFloats("activation_params")
        .map(p -> ImmutableList.copyOf(com.google.common.primitives.Floats.asList(p)))
        .orElse(ImmutableList.of());
    if (act.isEmpty()) {
      if (!params.isEmpty()) {
        throw OpException.of("attribute 'activation_params' is given without 'activation'");
      }
      return none();
    }
    String name = act.get();
    if (!ACTIVATIONS.contains(name)) {
      throw OpException.of("attribute 'activation' must be one of %s, got \"%s\"", ACTIVATIONS, name);
    }
    List<Integer> counts = switch (name) {
      case "LeakyRelu" -> List.of(0, 1);
      case "HardSigmoid" -> List.of(0, 2);
      case "Clip" -> List.of(2);
      default -> List.of(0);
    };
    if (!counts.contains(params.size())) {
      throw OpException.of("activation %s takes %s 'activation_params', got %d", name,
          counts.size() == 1 ? counts.get(0) : counts.get(0) + " or " + counts.get(1), params.size());
    }
    return new Epilogue(act, params);
  }

  /** The attributes that describe this epilogue on a fused node. */
  public Attributes.Builder addTo(Attributes.Builder b) {
    activation.ifPresent(a -> b.put("activation", a));
    if (!params.isEmpty()) {
      b.put("activation_params", new Attribute.FloatsAttr(params));
    }
    return b;
  }

  /** The unfused unary operator of the activation: FastGelu is Gelu. Empty without activation. */
  public Optional<String> unaryOp() {
    return activation.map(a -> a.equals("FastGelu") ? "Gelu" : a);
  }

  /**
   * The attributes of {@link #unaryOp} (alpha, beta, approximate); Clip's bounds are
   * {@link #clipBounds} instead, being inputs of Clip.
   */
  public Attributes unaryAttributes() {
    Attributes.Builder b = Attributes.builder();
    switch (activation.orElse("")) {
      case "LeakyRelu" -> {
        if (params.size() == 1) {
          b.put("alpha", params.get(0));
        }
      }
      case "HardSigmoid" -> {
        if (params.size() == 2) {
          b.put("alpha", params.get(0)).put("beta", params.get(1));
        }
      }
      case "FastGelu" -> b.put("approximate", "tanh");
      default -> {}
    }
    return b.build();
  }

  /** Clip's {@code [min, max]}; empty for other activations. */
  public Optional<float[]> clipBounds() {
    return activation.filter("Clip"::equals)
        .map(a -> new float[] {params.get(0), params.get(1)});
  }

  /**
   * Checks input {@code input} ({@code role}, e.g. "Z") of a fused application against its
   * output type {@code out}: the same element type, and a shape that broadcasts to the output's
   * without growing it; with {@code exact}, the output's shape itself.
   */
  public static void checkAddend(
      InferenceContext ctx, int input, String role, TensorType out, boolean exact) {
    TensorType t = ctx.type(input);
    boolean fits = t.dtype() == out.dtype() && t.rank() <= out.rank()
        && (!exact || t.rank() == out.rank());
    for (int i = 0; fits && i < t.rank(); i++) {
      Dim d = t.shape().dim(i);
      Dim o = out.shape().dim(out.rank() - t.rank() + i);
      boolean one = !exact && d.isKnown() && d.size() == 1;
      fits = one || d.equals(o) || !d.isKnown() || !o.isKnown();
    }
    if (!fits) {
      throw OpException.of("input %d (%s) %s must %s the output %s", input, role, t,
          exact ? "have the type of" : "broadcast to", out);
    }
  }

  /**
   * The output types of a fused operator whose core computes {@code y}: the core's type, checked
   * against the activation and against the residual Z at input {@code zSlot} when given.
   */
  public static List<TensorType> inferFused(InferenceContext ctx, TensorType y, int zSlot) {
    of(ctx.attrs()).checkType(y);
    if (ctx.hasInput(zSlot)) {
      checkAddend(ctx, zSlot, "Z", y, true);
    }
    return List.of(y);
  }

  /** The outputs of a fused operator whose core computed {@code y}: {@code act(y + Z)}. */
  public static List<Tensor> evaluateFused(EvalContext ctx, Tensor y, int zSlot) {
    return List.of(of(ctx.attrs()).apply(y, ctx.optionalInput(zSlot)));
  }

  /** Checks that an epilogue with an activation applies to a real type. */
  public void checkType(TensorType out) {
    if (activation.isPresent() && !out.dtype().isFloating()) {
      throw OpException.of("activation %s needs a floating-point type, got %s", activation.get(), out);
    }
  }

  /** {@code a + b} with ONNX broadcasting, by Add's reference semantics. */
  public static Tensor add(Tensor a, Tensor b) {
    return evaluate("Add", Attributes.EMPTY, List.of(Optional.of(a), Optional.of(b)));
  }

  /** The reference semantics: {@code act(y + residual)}. */
  public Tensor apply(Tensor y, Optional<Tensor> residual) {
    Tensor out = y;
    if (residual.isPresent()) {
      out = evaluate("Add", Attributes.EMPTY, List.of(Optional.of(out), residual));
    }
    if (activation.isEmpty()) {
      return out;
    }
    if (clipBounds().isPresent()) {
      float[] b = clipBounds().get();
      return evaluate("Clip", Attributes.EMPTY, List.of(Optional.of(out),
          Optional.of(Tensor.ofDoubles(out.dtype(), new long[0], b[0])),
          Optional.of(Tensor.ofDoubles(out.dtype(), new long[0], b[1]))));
    }
    return evaluate(unaryOp().get(), unaryAttributes(), List.of(Optional.of(out)));
  }

  private static Tensor evaluate(String op, Attributes attrs, List<Optional<Tensor>> inputs) {
    OpSchema schema = ElementwiseOps.all().stream().filter(s -> s.name().equals(op)).findFirst()
        .orElseThrow();
    return schema.evaluate(new EvalContext(op, attrs, ImmutableList.copyOf(inputs), 1)).get(0);
  }
}
