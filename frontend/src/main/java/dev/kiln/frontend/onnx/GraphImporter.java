package dev.kiln.frontend.onnx;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.frontend.Diagnostic;
import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.ir.verify.VerifierError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds a Kiln graph from an ONNX {@code ModelProto}, node by node in file order, inferring each
 * node's output types as it goes (with the values of constants, so that exported shape
 * arithmetic folds to static shapes). Model-local functions are inlined, and {@code If} nodes with
 * a constant condition are replaced by their branch.
 *
 * <p>Every problem is collected, not only the first: an unsupported operator, attribute or
 * element type is reported for each node it occurs in, and a value whose definition failed is
 * "poisoned" so that its uses stay quiet instead of repeating the error.
 *
 * <p>ONNX value names can be anything; each becomes a Kiln value name of its own (the same text
 * when it is unused so far, else a fresh variant), and empty names (absent optional inputs and
 * outputs) never become values.
 */
final class GraphImporter {
  /**
   * The oldest and newest default-domain opsets this importer maps. Operators that changed
   * before opset 7 changed by dropping attributes ({@code consumed_inputs}, {@code broadcast}),
   * which Kiln's schemas reject by name, so an old form is reported rather than misread.
   */
  static final int MIN_OPSET = 1;
  static final int MAX_OPSET = 18;

  /** Where nodes are being imported: the scope, the opsets, and the enclosing function call. */
  private record Frame(
      ImportScope scope,
      Map<String, Integer> opsets,
      Map<String, Onnx.AttributeProto> callerAttrs,
      String context,
      Set<String> callStack) {}

  private final String source;
  private final OpRegistry registry;
  private final Optional<ExternalData> external;
  private final Map<String, NodeImporter> importers;
  private final List<Diagnostic> problems = new ArrayList<>();
  private final Map<String, Onnx.FunctionProto> functions = new HashMap<>();
  private final Map<String, Tensor> known = new HashMap<>();
  private GraphBuilder builder;
  private int nodeCounter;

  GraphImporter(String source, OpRegistry registry, Optional<ExternalData> external) {
    this.source = source;
    this.registry = registry;
    this.external = external;
    this.importers = OpImporters.all();
  }

  /** The graph, or empty when any problem was found ({@link #problems()} has them all). */
  Optional<Graph> importModel(Onnx.ModelProto model) {
    Map<String, Integer> opsets = new HashMap<>();
    for (Onnx.OperatorSetIdProto o : model.getOpsetImportList()) {
      opsets.put(normalizeDomain(o.getDomain()), (int) o.getVersion());
    }
    Integer version = opsets.get("");
    if (version != null && (version < MIN_OPSET || version > MAX_OPSET)) {
      problem("the model uses default-domain opset " + version + "; Kiln imports opsets "
          + MIN_OPSET + " to " + MAX_OPSET);
      return Optional.empty();
    }
    for (Onnx.FunctionProto f : model.getFunctionsList()) {
      functions.put(functionKey(f.getDomain(), f.getName()), f);
    }
    if (!model.hasGraph()) {
      problem("the model has no graph");
      return Optional.empty();
    }
    Onnx.GraphProto g = model.getGraph();
    builder = Graph.builder(g.getName().isEmpty() ? "model" : g.getName());
    Frame frame = new Frame(new ImportScope(null), opsets, Map.of(), "", Set.of());
    Set<String> initializerNames = importInitializers(g, frame.scope());
    importInputs(g, frame.scope(), initializerNames);
    importNodes(g.getNodeList(), frame);
    importOutputs(g, frame.scope());
    if (!problems.isEmpty()) {
      return Optional.empty();
    }
    Graph graph = builder.build();
    for (VerifierError e : new Verifier(registry).verify(graph)) {
      // The checks above mirror the verifier's; whatever it still finds is a Kiln bug.
      problem("internal error: the imported graph does not verify: "
          + e.node().map(n -> n.describe() + ": ").orElse("") + e.message());
    }
    return problems.isEmpty() ? Optional.of(graph) : Optional.empty();
  }

  List<Diagnostic> problems() {
    return problems;
  }

  private Set<String> importInitializers(Onnx.GraphProto g, ImportScope scope) {
    Set<String> names = new HashSet<>();
    for (Onnx.TensorProto t : g.getInitializerList()) {
      names.add(t.getName());
      if (t.getName().isEmpty()) {
        problem("an initializer has no name");
        continue;
      }
      try {
        Tensor data = OnnxTensors.read(t, external);
        Value v = builder.addConstant(Constant.inline(builder.freshName(t.getName()), data)).value();
        known.put(v.name(), data);
        scope.define(t.getName(), Optional.of(v));
      } catch (InvalidOnnxException e) {
        problem("initializer '" + t.getName() + "': " + e.getMessage());
        scope.define(t.getName(), Optional.empty());
      }
    }
    for (Onnx.SparseTensorProto s : g.getSparseInitializerList()) {
      problem("sparse initializer '" + s.getValues().getName() + "' is not supported");
      scope.define(s.getValues().getName(), Optional.empty());
    }
    return names;
  }

  private void importInputs(Onnx.GraphProto g, ImportScope scope, Set<String> initializerNames) {
    for (Onnx.ValueInfoProto in : g.getInputList()) {
      // Before IR version 4 initializers were listed as inputs too (with a default); Kiln
      // treats them as the constants they are.
      if (initializerNames.contains(in.getName())) {
        continue;
      }
      String name = in.getName().isEmpty() ? "input" : in.getName();
      try {
        TensorType type = OnnxTypes.read(in.getType());
        Value v = new Value(builder.freshName(name), type);
        builder.addInput(v);
        scope.define(in.getName(), Optional.of(v));
      } catch (InvalidOnnxException e) {
        problem("graph input '" + in.getName() + "' " + e.getMessage());
        scope.define(in.getName(), Optional.empty());
      }
    }
  }

  private void importOutputs(Onnx.GraphProto g, ImportScope scope) {
    if (g.getOutputCount() == 0) {
      problem("the graph has no outputs");
    }
    for (Onnx.ValueInfoProto out : g.getOutputList()) {
      Optional<Value> v = scope.lookup(out.getName());
      if (v == null) {
        problem("graph output '" + out.getName() + "' is never defined");
        continue;
      }
      if (v.isEmpty()) {
        continue;
      }
      Value value = v.get();
      checkDeclaredType(out, value);
      if (!value.name().equals(out.getName()) && !out.getName().isEmpty()) {
        // The value got another Kiln name (a clash, or an inlined branch); keep the ONNX name
        // for the output, so that run() results are named as the model says.
        Value renamed = new Value(builder.freshName(out.getName()), value.type());
        builder.addNode(Node.of("Identity", value, renamed));
        known.computeIfPresent(value.name(), (k, t) -> {
          known.put(renamed.name(), t);
          return t;
        });
        value = renamed;
      }
      builder.output(value);
    }
  }

  /**
   * A declared output type whose element type or rank differs from what Kiln infers means the
   * model and Kiln disagree about an operator: an error, never a silently different result.
   * Dims may differ (exporters often declare symbolic dims where Kiln folds to sizes).
   */
  private void checkDeclaredType(Onnx.ValueInfoProto out, Value value) {
    if (!out.hasType() || !out.getType().hasTensorType()) {
      return;
    }
    Onnx.TypeProto.Tensor declared = out.getType().getTensorType();
    TensorType actual = value.type();
    boolean dtypeDiffers = declared.getElemType() != 0
        && declared.getElemType() != actual.dtype().onnxCode();
    boolean rankDiffers = declared.hasShape()
        && declared.getShape().getDimCount() != actual.rank();
    if (dtypeDiffers || rankDiffers) {
      String what = dtypeDiffers ? OnnxDTypes.name(declared.getElemType())
          : "rank " + declared.getShape().getDimCount();
      problem("graph output '" + out.getName() + "' is declared " + what + " but Kiln infers "
          + actual);
    }
  }

  private void importNodes(List<Onnx.NodeProto> nodes, Frame frame) {
    for (Onnx.NodeProto n : nodes) {
      importNode(n, frame);
    }
  }

  private void importNode(Onnx.NodeProto n, Frame frame) {
    nodeCounter++;
    String domain = normalizeDomain(n.getDomain());
    Onnx.FunctionProto function = functions.get(functionKey(domain, n.getOpType()));
    Integer version = frame.opsets().get(domain);
    String where = frame.context() + describe(n, domain, version);
    List<String> nodeProblems = new ArrayList<>();

    Map<String, Onnx.AttributeProto> raw = new LinkedHashMap<>();
    for (Onnx.AttributeProto a : n.getAttributeList()) {
      if (!a.getRefAttrName().isEmpty()) {
        if (frame.callStack().isEmpty()) {
          nodeProblems.add("attribute '" + a.getName() + "' refers to a function attribute ('"
              + a.getRefAttrName() + "') outside of any function");
          continue;
        }
        Onnx.AttributeProto ref = frame.callerAttrs().get(a.getRefAttrName());
        if (ref == null) {
          continue; // the caller did not set it and it has no default: the attribute is absent
        }
        a = ref.toBuilder().setName(a.getName()).build();
      }
      raw.put(a.getName(), a);
    }
    Attributes.Builder attrs = Attributes.builder();
    for (Onnx.AttributeProto a : raw.values()) {
      if (isSubgraph(a)) {
        continue; // only control-flow importers read graphs
      }
      try {
        attrs.put(a.getName(), OnnxAttributes.read(a, external));
      } catch (InvalidOnnxException e) {
        nodeProblems.add(e.getMessage());
      }
    }

    boolean poisoned = false;
    List<Optional<Value>> inputs = new ArrayList<>();
    for (String in : n.getInputList()) {
      if (in.isEmpty() || frame.scope().isAbsent(in)) {
        inputs.add(Optional.empty());
        continue;
      }
      Optional<Value> v = frame.scope().lookup(in);
      if (v == null) {
        nodeProblems.add("input '" + in + "' is not defined before this node");
        inputs.add(Optional.empty());
      } else {
        poisoned |= v.isEmpty();
        inputs.add(v);
      }
    }

    if (function == null && domain.isEmpty() && version == null) {
      nodeProblems.add(0, "the model imports no version of the default ONNX domain "
          + "(opset_import), so the operator's version is unknown");
    } else if (function == null && !domain.isEmpty()) {
      nodeProblems.add(0, "operator domain '" + domain + "' is not supported (Kiln imports the "
          + "default ONNX domain and the model's own functions)");
    } else if (function == null && registry.lookup(n.getOpType()).isEmpty()
        && !importers.containsKey(n.getOpType())) {
      // No "did you mean": an ONNX operator name is a real operator Kiln lacks, not a typo.
      nodeProblems.add(0, "operator '" + n.getOpType() + "' is not supported");
    }
    if (!nodeProblems.isEmpty()) {
      problem(where + ": " + String.join("; ", nodeProblems));
      poisonOutputs(n, frame.scope());
      return;
    }
    if (poisoned) {
      poisonOutputs(n, frame.scope());
      return;
    }
    if (function != null) {
      inlineFunction(n, function, raw, inputs, frame, where);
      return;
    }
    OnnxNode node = new OnnxNode(n, n.getOpType(), domain, version,
        ImmutableList.copyOf(inputs), attrs.build(), ImmutableMap.copyOf(raw), where);
    NodeImporter importer = importers.getOrDefault(n.getOpType(), OpImporters::direct);
    try {
      importer.importNode(node, new FrameEmitter(frame, n.getName()));
    } catch (InvalidOnnxException e) {
      if (!e.isAlreadyReported()) {
        problem(where + ": " + e.getMessage());
      }
      poisonOutputs(n, frame.scope());
    }
  }

  private void inlineFunction(Onnx.NodeProto call, Onnx.FunctionProto f,
      Map<String, Onnx.AttributeProto> callAttrs, List<Optional<Value>> inputs, Frame frame,
      String where) {
    String key = functionKey(f.getDomain(), f.getName());
    if (frame.callStack().contains(key)) {
      problem(where + ": function '" + f.getName() + "' calls itself; recursion is not allowed");
      poisonOutputs(call, frame.scope());
      return;
    }
    ImportScope scope = new ImportScope(null);
    for (int i = 0; i < f.getInputCount(); i++) {
      Optional<Value> actual = i < inputs.size() ? inputs.get(i) : Optional.empty();
      if (actual.isPresent()) {
        scope.define(f.getInput(i), actual);
      } else {
        scope.markAbsent(f.getInput(i));
      }
    }
    Map<String, Onnx.AttributeProto> attrs = new HashMap<>();
    for (Onnx.AttributeProto d : f.getAttributeProtoList()) {
      attrs.put(d.getName(), d);
    }
    attrs.putAll(callAttrs);
    Map<String, Integer> opsets = new HashMap<>(frame.opsets());
    for (Onnx.OperatorSetIdProto o : f.getOpsetImportList()) {
      opsets.put(normalizeDomain(o.getDomain()), (int) o.getVersion());
    }
    Set<String> stack = new HashSet<>(frame.callStack());
    stack.add(key);
    Frame body = new Frame(scope, opsets, attrs,
        where + ", in the body of function '" + f.getName() + "': ", stack);
    importNodes(f.getNodeList(), body);
    for (int i = 0; i < call.getOutputCount() && i < f.getOutputCount(); i++) {
      String outName = call.getOutput(i);
      if (outName.isEmpty()) {
        continue;
      }
      Optional<Value> v = scope.lookup(f.getOutput(i));
      if (v == null) {
        problem(where + ": function '" + f.getName() + "' never defines its output '"
            + f.getOutput(i) + "'");
        v = Optional.empty();
      }
      frame.scope().define(outName, v);
    }
  }

  private void poisonOutputs(Onnx.NodeProto n, ImportScope scope) {
    for (String out : n.getOutputList()) {
      if (!out.isEmpty()) {
        scope.define(out, Optional.empty());
      }
    }
  }

  /** The emitter of one node, in its frame. */
  private final class FrameEmitter implements NodeEmitter {
    private final Frame frame;
    private final String nodeName;

    FrameEmitter(Frame frame, String nodeName) {
      this.frame = frame;
      this.nodeName = nodeName;
    }

    @Override
    public List<Value> emit(String op, List<Optional<Value>> inputs, Attributes attrs,
        List<String> outputNames) {
      OpSchema schema = registry.lookup(op).orElseThrow(
          () -> new InvalidOnnxException("operator '" + op + "' is not supported"));
      List<Boolean> present = inputs.stream().map(Optional::isPresent).toList();
      List<String> misfits =
          NodeInference.checkApplication(schema, present, outputNames.size(), attrs);
      if (!misfits.isEmpty()) {
        throw new InvalidOnnxException(String.join("; ", misfits));
      }
      List<Optional<TensorType>> types = new ArrayList<>();
      List<Optional<Tensor>> constants = new ArrayList<>();
      for (Optional<Value> in : inputs) {
        types.add(in.map(Value::type));
        constants.add(in.flatMap(this::known));
      }
      NodeInference.Result result;
      try {
        result = NodeInference.infer(schema, attrs, types, constants, outputNames.size());
      } catch (OpException e) {
        throw new InvalidOnnxException(e.getMessage());
      } catch (RuntimeException e) {
        throw new InvalidOnnxException("internal error in " + op + " shape inference: " + e);
      }
      List<Value> outputs = new ArrayList<>();
      for (int i = 0; i < outputNames.size(); i++) {
        String hint = outputNames.get(i).isEmpty() ? op.toLowerCase() : outputNames.get(i);
        Value v = new Value(builder.freshName(hint), result.types().get(i));
        outputs.add(v);
        if (result.values().isPresent()) {
          known.put(v.name(), result.values().get().get(i));
        }
      }
      builder.addNode(new Node(nodeName, op, ImmutableList.copyOf(inputs),
          ImmutableList.copyOf(outputs), attrs));
      return outputs;
    }

    @Override
    public Value constant(String nameHint, Tensor data) {
      Value v = builder.addConstant(Constant.inline(builder.freshName(nameHint), data)).value();
      known.put(v.name(), data);
      return v;
    }

    @Override
    public Optional<Tensor> known(Value v) {
      return Optional.ofNullable(known.get(v.name()));
    }

    @Override
    public void bind(String onnxName, Value v) {
      if (!onnxName.isEmpty()) {
        frame.scope().define(onnxName, Optional.of(v));
      }
    }

    @Override
    public Optional<List<Value>> importSubgraph(Onnx.GraphProto graph, String what) {
      int before = problems.size();
      ImportScope scope = new ImportScope(frame.scope());
      Frame sub = new Frame(scope, frame.opsets(), frame.callerAttrs(),
          frame.context() + what + ": ", frame.callStack());
      for (Onnx.TensorProto t : graph.getInitializerList()) {
        try {
          scope.define(t.getName(), Optional.of(constant(t.getName(),
              OnnxTensors.read(t, external))));
        } catch (InvalidOnnxException e) {
          problem(sub.context() + "initializer '" + t.getName() + "': " + e.getMessage());
          scope.define(t.getName(), Optional.empty());
        }
      }
      importNodes(graph.getNodeList(), sub);
      List<Value> outs = new ArrayList<>();
      for (Onnx.ValueInfoProto o : graph.getOutputList()) {
        Optional<Value> v = scope.lookup(o.getName());
        if (v == null) {
          problem(sub.context() + "output '" + o.getName() + "' is never defined");
        } else {
          v.ifPresent(outs::add);
        }
      }
      return problems.size() == before && outs.size() == graph.getOutputCount()
          ? Optional.of(outs) : Optional.empty();
    }
  }

  private String describe(Onnx.NodeProto n, String domain, Integer version) {
    String op = n.getOpType() + ", " + (domain.isEmpty() ? "ai.onnx" : domain)
        + (version == null ? "" : " opset " + version);
    if (!n.getName().isEmpty()) {
      return "node '" + n.getName() + "' (" + op + ")";
    }
    String firstOut = n.getOutputList().stream().filter(s -> !s.isEmpty()).findFirst().orElse("");
    return "node #" + nodeCounter + " (" + op + ")"
        + (firstOut.isEmpty() ? "" : " defining '" + firstOut + "'");
  }

  private static boolean isSubgraph(Onnx.AttributeProto a) {
    return a.getType() == Onnx.AttributeProto.AttributeType.GRAPH
        || a.getType() == Onnx.AttributeProto.AttributeType.GRAPHS
        || (!a.hasType() && a.hasG());
  }

  static String normalizeDomain(String domain) {
    return domain.equals("ai.onnx") ? "" : domain;
  }

  private static String functionKey(String domain, String name) {
    return normalizeDomain(domain) + "::" + name;
  }

  private void problem(String message) {
    problems.add(Diagnostic.of(source, message));
  }
}
