package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.OpTesting.attrs;
import static dev.kiln.ir.ops.elementwise.OpTesting.f32;
import static dev.kiln.ir.ops.elementwise.OpTesting.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.ir.verify.VerifierError;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The family as a whole: registration, ONNX defaults, and use inside a verified graph. */
class ElementwiseOpsTest {
  private static final List<String> REQUIRED = List.of(
      "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Erf", "Gelu", "Add", "Sub", "Mul", "Div",
      "Pow", "Sqrt", "Exp", "Neg", "Reciprocal", "Equal", "Where", "Cast", "Identity", "Dropout",
      "Abs", "Log", "Floor", "Ceil", "Round", "Sign", "Softplus", "Softsign", "Elu", "Selu",
      "HardSigmoid", "HardSwish", "Mish", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh",
      "Cosh", "Asinh", "Acosh", "Atanh", "Not", "And", "Or", "Xor", "Greater", "Less",
      "GreaterOrEqual", "LessOrEqual", "Max", "Min", "Sum", "Mean", "Mod", "PRelu",
      "ThresholdedRelu", "Celu", "IsNaN", "IsInf",
      // Beyond the required list, for ONNX coverage:
      "CastLike", "BitShift", "Shrink");

  @Test
  void everyOperatorIsRegisteredOnce() {
    Set<String> names = new TreeSet<>();
    for (OpSchema op : ElementwiseOps.all()) {
      assertTrue(names.add(op.name()), op.name() + " appears twice");
      assertEquals(Optional.of(op), OpRegistry.standard().lookup(op.name()));
    }
    assertEquals(new TreeSet<>(REQUIRED), names);
  }

  @Test
  void attributesCarryTheOnnxDefaults() {
    assertDefault("LeakyRelu", "alpha", Attribute.of(0.01f));
    assertDefault("Elu", "alpha", Attribute.of(1.0f));
    assertDefault("Celu", "alpha", Attribute.of(1.0f));
    assertDefault("ThresholdedRelu", "alpha", Attribute.of(1.0f));
    assertDefault("HardSigmoid", "alpha", Attribute.of(0.2f));
    assertDefault("HardSigmoid", "beta", Attribute.of(0.5f));
    assertDefault("Selu", "alpha", Attribute.of(1.67326319217681884765625f));
    assertDefault("Selu", "gamma", Attribute.of(1.05070102214813232421875f));
    assertDefault("Gelu", "approximate", Attribute.of("none"));
    assertDefault("Mod", "fmod", Attribute.of(0L));
    assertDefault("Shrink", "bias", Attribute.of(0.0f));
    assertDefault("Shrink", "lambd", Attribute.of(0.5f));
    assertDefault("IsInf", "detect_negative", Attribute.of(1L));
    assertDefault("IsInf", "detect_positive", Attribute.of(1L));
    AttrSpec to = OpTesting.schema("Cast").attribute("to").orElseThrow();
    assertTrue(to.required());
  }

  private static void assertDefault(String op, String attr, Attribute expected) {
    AttrSpec spec = OpTesting.schema(op).attribute(attr).orElseThrow();
    assertEquals(Optional.of(expected), spec.defaultValue(), op + "." + attr);
  }

  /**
   * Every unary operator that takes f32 evaluates to the type its inference promises: the
   * evaluation and inference paths cannot drift apart.
   */
  @Test
  void unaryEvaluationAgreesWithInference() {
    Tensor x = f32(OpTesting.shape(2, 2), -1.5f, 0, 0.5f, 2);
    int checked = 0;
    for (OpSchema op : ElementwiseOps.all()) {
      if (!(op instanceof UnaryElementwise)) {
        continue;
      }
      List<Optional<dev.kiln.ir.type.TensorType>> types = List.of(Optional.of(x.type()));
      dev.kiln.ir.type.TensorType inferred;
      try {
        inferred = NodeInference.infer(op, Attributes.EMPTY, types, List.of(Optional.empty()), 1).types().getFirst();
      } catch (OpException e) {
        continue; // bool-only operators
      }
      Tensor y = op.evaluate(new EvalContext(op.name(), Attributes.EMPTY, ImmutableList.of(Optional.of(x)), 1)).getFirst();
      assertEquals(inferred, y.type(), op.name());
      checked++;
    }
    assertTrue(checked > 35, "checked " + checked);
  }

  @Test
  void aGraphOfElementwiseOperatorsVerifies() {
    GraphBuilder b = Graph.builder("mlp_tail");
    Value x = b.input("x", type("f32[N, 3]"));
    Value bias = b.constant("bias", f32(0.5f, -1, 2));
    Value sum = b.node("Add", List.of(x, bias), type("f32[N, 3]"), Attributes.EMPTY);
    Value act = b.node("Gelu", List.of(sum), type("f32[N, 3]"), attrs("approximate", "tanh"));
    Value half = b.node("Cast", List.of(act), type("f16[N, 3]"), attrs("to", 10));
    Value mask = new Value("mask", type("bool[N, 3]"));
    Value dropped = new Value("dropped", type("f16[N, 3]"));
    b.addNode(Node.of("Dropout", List.of(half), List.of(dropped, mask), Attributes.EMPTY));
    Value zero = b.constant("zero", Tensor.scalar(DType.F16, 0));
    Value positive = b.node("Greater", List.of(dropped, zero), type("bool[N, 3]"), Attributes.EMPTY);
    Value out = b.node("Where", List.of(positive, dropped, zero), type("f16[N, 3]"), Attributes.EMPTY);
    b.output(out).output(mask);
    assertEquals(List.of(), Verifier.standard().verify(b.build()));
  }

  @Test
  void theVerifierReportsOperatorErrorsAgainstTheirNodes() {
    GraphBuilder b = Graph.builder("bad");
    Value n = b.input("n", type("i32[N]"));
    Value x = b.input("x", type("f32[2, 3]"));
    b.output(b.node("Sqrt", List.of(n), type("i32[N]"), Attributes.EMPTY));
    b.output(b.node("Gelu", List.of(x), type("f32[2, 3]"), attrs("approximate", "erf")));
    b.output(b.node("Cast", List.of(x), type("f32[2, 3]"), attrs("to", 8)));
    b.output(b.node("Add", List.of(x, b.constant("w", f32(1, 2))), type("f32[2, 3]"), Attributes.EMPTY));
    b.output(b.node("Relu", List.of(x), type("f32[3, 2]"), attrs("alpha", 0.1f)));
    b.output(b.node("LeakyRelu", List.of(x), type("f64[2, 3]"), Attributes.EMPTY));
    List<String> problems = new ArrayList<>();
    for (VerifierError e : Verifier.standard().verify(b.build())) {
      problems.add(e.toString());
    }
    assertEquals(List.of(
        "Sqrt node defining %sqrt: input 0 must be a floating-point tensor, got i32[N]",
        "Gelu node defining %gelu: attribute 'approximate' must be \"none\" or \"tanh\", got \"erf\"",
        "Cast node defining %cast: attribute 'to' is 8, which is not an ONNX data type code Kiln supports; "
            + "supported: 1 (f32), 2 (u8), 3 (i8), 4 (u16), 5 (i16), 6 (i32), 7 (i64), 9 (bool), "
            + "10 (f16), 11 (f64), 12 (u32), 13 (u64), 16 (bf16)",
        "Add node defining %add: shapes [[2, 3], [2]] cannot be broadcast: dimension 3 against 2",
        "Relu node defining %relu: unknown attribute 'alpha' for Relu (it takes no attributes)",
        "LeakyRelu node defining %leakyrelu: declares %leakyrelu: f64[2, 3] but LeakyRelu gives f32[2, 3]"),
        problems);
  }
}
