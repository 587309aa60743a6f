package dev.kiln.ir.op;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Everything Kiln knows about one operator, in one place: its signature (arity and attributes),
 * type and shape inference, and reference semantics. Semantics follow the ONNX operator spec
 * (opsets 13 to 17; where a later opset moved an attribute to an input, both forms are accepted)
 * so that ONNX import maps 1:1. Kiln-only operators (such as {@code Gelu} before opset 20)
 * document their semantics in their class.
 *
 * <p>Subclasses are stateless singletons, registered in {@link StandardOps}.
 */
public abstract class OpSchema {
  /** Marks a variadic maximum arity. */
  public static final int VARIADIC = Integer.MAX_VALUE;

  private final String name;
  private final int minInputs;
  private final int maxInputs;
  private final int minOutputs;
  private final int maxOutputs;
  private final ImmutableList<AttrSpec> attributes;

  protected OpSchema(
      String name,
      int minInputs,
      int maxInputs,
      int minOutputs,
      int maxOutputs,
      List<AttrSpec> attributes) {
    this.name = name;
    this.minInputs = minInputs;
    this.maxInputs = maxInputs;
    this.minOutputs = minOutputs;
    this.maxOutputs = maxOutputs;
    this.attributes = ImmutableList.copyOf(attributes);
  }

  public final String name() {
    return name;
  }

  public final int minInputs() {
    return minInputs;
  }

  public final int maxInputs() {
    return maxInputs;
  }

  public final int minOutputs() {
    return minOutputs;
  }

  public final int maxOutputs() {
    return maxOutputs;
  }

  public final ImmutableList<AttrSpec> attributes() {
    return attributes;
  }

  public final Optional<AttrSpec> attribute(String attrName) {
    return attributes.stream().filter(a -> a.name().equals(attrName)).findFirst();
  }

  /**
   * Infers the output types from the input types, known constant inputs and attributes. Throws
   * {@link OpException} with a message that names the offending input or attribute.
   */
  public abstract List<TensorType> inferTypes(InferenceContext ctx);

  /**
   * The reference semantics: plain, obviously correct Java that computes the outputs from the
   * inputs. It is the oracle every compiled kernel is tested against, so clarity beats speed.
   */
  public abstract List<Tensor> evaluate(EvalContext ctx);

  /**
   * Output values that are known at compile time even though some inputs are not (e.g.
   * {@code Shape} of a statically shaped tensor). Empty by default.
   */
  public Optional<List<Tensor>> foldWithoutConstants(InferenceContext ctx) {
    return Optional.empty();
  }

  /**
   * Whether compile-time inference reads the values of input {@code slot}: its values decide the
   * output shapes (Reshape's {@code shape}, Slice's {@code starts}, Pad's {@code pads}, ...) or
   * whether the application is legal at all. Compiled code is specialized to the values of such
   * inputs, so a graph input that reaches one of these slots is a value the compiled engine
   * specializes on. False by default.
   */
  public boolean readsAtCompileTime(int slot) {
    return false;
  }

  /**
   * Whether the output values follow from the input <em>types</em> alone ({@code Shape},
   * {@code Size}, {@code EyeLike}): then the values of the inputs are never needed to fold the
   * outputs. False by default.
   */
  public boolean outputsDependOnInputTypesOnly() {
    return false;
  }

  /**
   * Attribute problems of an application: unknown names, missing required ones, wrong kinds. One
   * message per problem; empty when the attributes are well-formed.
   */
  public List<String> checkAttributes(Attributes attrs) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Attribute> e : attrs.map().entrySet()) {
      Optional<AttrSpec> spec = attribute(e.getKey());
      if (spec.isEmpty()) {
        problems.add(
            "unknown attribute '"
                + e.getKey()
                + "' for "
                + name
                + (attributes.isEmpty()
                    ? " (it takes no attributes)"
                    : "; it takes "
                        + attributes.stream().map(AttrSpec::name).collect(Collectors.joining(", "))));
      } else if (spec.get().kind() != e.getValue().kind()) {
        problems.add(
            "attribute '"
                + e.getKey()
                + "' of "
                + name
                + " must be "
                + article(spec.get().kind())
                + ", got "
                + article(e.getValue().kind()));
      }
    }
    for (AttrSpec spec : attributes) {
      if (spec.required() && !attrs.has(spec.name())) {
        problems.add(name + " needs attribute '" + spec.name() + "' (" + spec.kind() + ")");
      }
    }
    return problems;
  }

  private static String article(AttributeKind kind) {
    return (kind == AttributeKind.INT || kind == AttributeKind.INTS ? "an " : "a ") + kind;
  }

  /** The arity in words, for messages: {@code 2 or 3 inputs}, {@code 1 input}. */
  public String describeInputArity() {
    return describeArity(minInputs, maxInputs, "input");
  }

  public String describeOutputArity() {
    return describeArity(minOutputs, maxOutputs, "output");
  }

  private static String describeArity(int min, int max, String noun) {
    String plural = noun + "s";
    if (min == max) {
      return min + " " + (min == 1 ? noun : plural);
    }
    if (max == VARIADIC) {
      return "at least " + min + " " + (min == 1 ? noun : plural);
    }
    if (max == min + 1) {
      return min + " or " + max + " " + plural;
    }
    return min + " to " + max + " " + plural;
  }

  @Override
  public String toString() {
    return name;
  }
}
