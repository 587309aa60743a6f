package dev.kiln.frontend.kiln;

import com.google.common.collect.ImmutableList;
import dev.kiln.grammar.KilnParser;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.antlr.v4.runtime.ParserRuleContext;

/**
 * The second pass over a parse tree: builds the graph in statement order, checking names,
 * types, operators and weights, and inferring every node's output types as it goes (with known
 * constants, so that shape arithmetic folds). Every problem is reported; a value whose definition
 * failed is "poisoned" so that its uses stay quiet instead of repeating the error.
 */
final class GraphReader {
  static final int FORMAT_VERSION = 1;

  /** What a name is bound to: a usable value, or a poisoned one whose definition failed. */
  private record Binding(Optional<Value> value, int line) {}

  private final SourceFile source;
  private final OpRegistry registry;
  private final Literals literals;
  private final AttributeReader attributes;
  private final WeightsSource weights;
  private final Map<String, Binding> bindings = new HashMap<>();
  /** Every name defined anywhere in the model, with its line, for "used before defined". */
  private final Map<String, Integer> allDefinitions = new HashMap<>();
  private final Map<String, Tensor> known = new HashMap<>();
  private final Map<Node, ParserRuleContext> nodeSyntax = new IdentityHashMap<>();
  private GraphBuilder builder;

  GraphReader(SourceFile source, OpRegistry registry, Path baseDir) {
    this.source = source;
    this.registry = registry;
    this.literals = new Literals(source);
    this.attributes = new AttributeReader(source, literals);
    this.weights = new WeightsSource(source, literals, baseDir);
  }

  /** The model, or empty when any error was reported. */
  Optional<KilnModel> read(KilnParser.FileContext file) {
    try (weights) {
      return readModel(file);
    }
  }

  private Optional<KilnModel> readModel(KilnParser.FileContext file) {
    if (file.version() != null) {
      String v = file.version().INT().getText();
      if (!v.equals(Integer.toString(FORMAT_VERSION))) {
        source.error(file.version().INT(), "unsupported Kiln format version " + v
            + " (this reader knows version " + FORMAT_VERSION + ")");
      }
    }
    KilnParser.ModelContext model = file.model();
    builder = Graph.builder(literals.name(model.modelName).orElse("model"));
    collectDefinitions(model);
    for (KilnParser.ParamContext p : model.param()) {
      Optional<String> name = literals.valueName(p.value());
      Optional<TensorType> type = literals.type(p.type());
      Optional<Value> value = both(name, type);
      value.ifPresent(builder::addInput);
      name.ifPresent(n -> define(n, p.value(), value));
    }
    for (KilnParser.StatementContext s : model.statement()) {
      if (s instanceof KilnParser.WeightsDirectiveContext w) {
        weights.directive(w);
      }
    }
    for (KilnParser.StatementContext s : model.statement()) {
      switch (s) {
        case KilnParser.ConstDeclContext c -> constant(c);
        case KilnParser.NodeDeclContext n -> node(n);
        default -> {}
      }
    }
    for (KilnParser.OutputContext o : model.output()) {
      output(o);
    }
    if (model.output().isEmpty()) {
      source.error(model.getStart(), "a model needs at least one output");
    }
    if (source.hasErrors()) {
      return Optional.empty();
    }
    Graph graph = builder.build();
    verify(graph, model);
    return source.hasErrors()
        ? Optional.empty()
        : Optional.of(new KilnModel(graph, weights.declaredPath()));
  }

  private void collectDefinitions(KilnParser.ModelContext model) {
    for (KilnParser.StatementContext s : model.statement()) {
      List<KilnParser.ValueContext> defined = switch (s) {
        case KilnParser.ConstDeclContext c -> List.of(c.value());
        case KilnParser.NodeDeclContext n -> n.result().stream().map(KilnParser.ResultContext::value).toList();
        default -> List.of();
      };
      for (KilnParser.ValueContext v : defined) {
        String text = v.getText();
        allDefinitions.putIfAbsent(
            v.QUOTED_VALUE() != null ? KilnNames.unquote(text.substring(1)).value() : text.substring(1),
            v.getStart().getLine());
      }
    }
  }

  private void constant(KilnParser.ConstDeclContext c) {
    Optional<String> name = literals.valueName(c.value());
    Optional<TensorType> type = literals.type(c.type());
    String what = "constant " + name.map(KilnNames::value).orElse(c.value().getText());
    Optional<Tensor> data = Optional.empty();
    Optional<String> key = Optional.empty();
    switch (c.constInit()) {
      case KilnParser.WeightsRefContext w -> {
        data = weights.get(w, type, c.type(), what);
        key = literals.string(w.STRING().getSymbol());
      }
      case KilnParser.InlineValuesContext i -> {
        if (type.isPresent()) {
          data = literals.tensor(i.tensorBody(), type.get(), c.type(), what);
        }
      }
      default -> throw new IllegalStateException("unknown constant syntax " + c.getText());
    }
    Optional<Value> value = both(name, type);
    if (value.isPresent() && data.isPresent()) {
      builder.addConstant(new Constant(value.get(), data.get(), key));
      known.put(value.get().name(), data.get());
    }
    // The declared type stays usable even when the data is wrong, so later nodes are still checked.
    name.ifPresent(n -> define(n, c.value(), value));
  }

  private void node(KilnParser.NodeDeclContext n) {
    int errorsBefore = source.errorCount();
    Optional<String> label = n.label == null ? Optional.of("") : literals.name(n.label);
    Optional<String> op = literals.name(n.op);
    Optional<OpSchema> schema = op.flatMap(registry::lookup);
    if (op.isPresent() && schema.isEmpty()) {
      source.error(n.op, "unknown operator '" + op.get() + "'"
          + registry.closest(op.get()).map(s -> " (did you mean '" + s + "'?)").orElse(""));
    }
    boolean poisoned = false;
    List<Optional<Value>> inputs = new ArrayList<>();
    for (KilnParser.ArgContext a : n.arg()) {
      if (a instanceof KilnParser.PresentArgContext p) {
        Optional<Value> v = use(p.value());
        poisoned |= v.isEmpty();
        inputs.add(v);
      } else {
        inputs.add(Optional.empty());
      }
    }
    Optional<Attributes> attrs = attributes.read(n.attributes(), schema, n.op);
    List<Optional<String>> names = new ArrayList<>();
    List<Optional<TensorType>> declared = new ArrayList<>();
    for (KilnParser.ResultContext r : n.result()) {
      names.add(literals.valueName(r.value()));
      declared.add(r.type() == null ? Optional.empty() : literals.type(r.type()));
    }
    schema.ifPresent(s -> checkArity(s, n));
    List<Optional<TensorType>> outTypes = new ArrayList<>(declared);
    boolean clean = source.errorCount() == errorsBefore && !poisoned && label.isPresent();
    if (clean) {
      outTypes = infer(schema.get(), n, inputs, attrs.get(), declared);
    }
    List<Value> outputs = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      Optional<Value> out = both(names.get(i), outTypes.get(i));
      out.ifPresent(outputs::add);
      int index = i;
      names.get(i).ifPresent(name -> define(name, n.result(index).value(), out));
    }
    if (clean && source.errorCount() == errorsBefore) {
      Node node = new Node(label.get(), op.get(), ImmutableList.copyOf(inputs),
          ImmutableList.copyOf(outputs), attrs.get());
      builder.addNode(node);
      nodeSyntax.put(node, n);
    }
  }

  private void checkArity(OpSchema s, KilnParser.NodeDeclContext n) {
    int inputs = n.arg().size();
    if (inputs < s.minInputs() || inputs > s.maxInputs()) {
      source.error(n.op, s.name() + " takes " + s.describeInputArity() + ", got " + inputs);
    } else {
      for (int i = 0; i < s.minInputs(); i++) {
        if (n.arg(i) instanceof KilnParser.AbsentArgContext absent) {
          source.error(absent, "input " + i + " of " + s.name() + " is required but absent");
        }
      }
    }
    int outputs = n.result().size();
    if (outputs < s.minOutputs() || outputs > s.maxOutputs()) {
      source.error(n.result(0), s.name() + " defines " + s.describeOutputArity() + ", got " + outputs);
    }
  }

  /** Output types of a well-formed application: the declared ones where given and compatible. */
  private List<Optional<TensorType>> infer(
      OpSchema schema,
      KilnParser.NodeDeclContext n,
      List<Optional<Value>> inputs,
      Attributes attrs,
      List<Optional<TensorType>> declared) {
    List<Optional<TensorType>> types = new ArrayList<>();
    List<Optional<Tensor>> constants = new ArrayList<>();
    for (Optional<Value> in : inputs) {
      types.add(in.map(Value::type));
      constants.add(in.flatMap(v -> Optional.ofNullable(known.get(v.name()))));
    }
    NodeInference.Result result;
    try {
      result = NodeInference.infer(schema, attrs, types, constants, declared.size());
    } catch (OpException e) {
      source.error(n.op, schema.name() + ": " + e.getMessage());
      return declared;
    } catch (RuntimeException e) {
      // A bug in an operator, not in the model; still a message at the node, never a trace.
      source.error(n.op, "internal error in " + schema.name() + " shape inference: " + e);
      return declared;
    }
    List<Optional<TensorType>> out = new ArrayList<>();
    for (int i = 0; i < declared.size(); i++) {
      TensorType inferred = result.types().get(i);
      Optional<TensorType> d = declared.get(i);
      if (d.isPresent() && !NodeInference.compatible(d.get(), inferred)) {
        KilnParser.ResultContext r = n.result(i);
        source.error(r.type(), KilnNames.value(literals.valueName(r.value()).orElse("?"))
            + " is declared " + d.get() + " but " + schema.name() + " gives " + inferred);
      }
      out.add(Optional.of(d.orElse(inferred)));
      if (result.values().isPresent()) {
        int index = i;
        literals.valueName(n.result(i).value())
            .ifPresent(name -> known.put(name, result.values().get().get(index)));
      }
    }
    return out;
  }

  private void output(KilnParser.OutputContext o) {
    Optional<String> name = literals.valueName(o.value());
    Optional<TensorType> declared = o.type() == null ? Optional.empty() : literals.type(o.type());
    if (name.isEmpty() || (o.type() != null && declared.isEmpty())) {
      return;
    }
    Binding b = bindings.get(name.get());
    if (b == null) {
      source.error(o.value(), "output " + KilnNames.value(name.get()) + " is never defined"
          + didYouMeanValue(name.get()));
      return;
    }
    if (b.value().isEmpty()) {
      return;
    }
    TensorType actual = b.value().get().type();
    if (declared.isPresent() && !NodeInference.compatible(declared.get(), actual)) {
      source.error(o.type(), "output " + KilnNames.value(name.get()) + " is declared "
          + declared.get() + " but its definition (line " + b.line() + ") has type " + actual);
      return;
    }
    builder.output(new Value(name.get(), declared.orElse(actual)));
  }

  /** The value a use refers to; empty (after reporting, unless poisoned) when there is none. */
  private Optional<Value> use(KilnParser.ValueContext v) {
    Optional<String> name = literals.valueName(v);
    if (name.isEmpty()) {
      return Optional.empty();
    }
    Binding b = bindings.get(name.get());
    if (b != null) {
      return b.value();
    }
    Integer later = allDefinitions.get(name.get());
    if (later != null) {
      source.error(v, KilnNames.value(name.get()) + " is used before its definition at line "
          + later);
    } else {
      source.error(v, KilnNames.value(name.get()) + " is not defined" + didYouMeanValue(name.get()));
    }
    return Optional.empty();
  }

  private void define(String name, KilnParser.ValueContext at, Optional<Value> value) {
    Binding previous = bindings.get(name);
    if (previous != null) {
      source.error(at, KilnNames.value(name) + " is already defined at line " + previous.line());
      return;
    }
    bindings.put(name, new Binding(value, at.getStart().getLine()));
  }

  /**
   * The checks above mirror the verifier's; it runs as a safety net, and whatever it still finds
   * is reported at the node concerned.
   */
  private void verify(Graph graph, KilnParser.ModelContext model) {
    List<VerifierError> errors;
    try {
      errors = new Verifier(registry).verify(graph);
    } catch (RuntimeException e) {
      source.error(model, "internal error while verifying the model: " + e);
      return;
    }
    for (VerifierError e : errors) {
      ParserRuleContext at = e.node().map(nodeSyntax::get).orElse(model);
      source.error(at, e.node().map(node -> node.describe() + ": ").orElse("") + e.message());
    }
  }

  private String didYouMeanValue(String wrong) {
    return KilnNames.closest(wrong, bindings.keySet(), 2)
        .map(s -> " (did you mean " + KilnNames.value(s) + "?)")
        .orElse("");
  }

  private static Optional<Value> both(Optional<String> name, Optional<TensorType> type) {
    return name.isPresent() && type.isPresent()
        ? Optional.of(new Value(name.get(), type.get()))
        : Optional.empty();
  }
}
