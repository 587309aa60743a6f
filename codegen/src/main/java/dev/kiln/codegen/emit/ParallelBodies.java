package dev.kiln.codegen.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.NameAllocator;
import com.palantir.javapoet.ParameterSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * The bodies of the generated class's parallel loops as private static methods, one per distinct
 * text: {@code (buffers' arrays and offsets, enclosing variables, frame, loop index)}. Two loops
 * whose iteration is the same code on other buffers (two convolution layers of one shape, the
 * border strips of two Winograd layers) call one method, which HotSpot compiles once.
 *
 * <p>Why methods at all: a lambda body runs once per chunk of its range, a few times per
 * inference, so HotSpot's tiered policy, which counts invocations, compiles it with C2 only
 * after hundreds of inferences and meanwhile replaces its loops on the stack (OSR) one
 * compilation at a time, each as large as the whole body; meanwhile the Vector API code runs in
 * C1, allocating a vector object per operation. One call per iteration reaches C2 in a few
 * inferences, and a shared method reaches it sooner still.
 */
final class ParallelBodies {
  private final NameAllocator methodNames;
  private final Map<String, String> byText = new HashMap<>();
  private final List<MethodSpec> methods = new ArrayList<>();

  ParallelBodies(NameAllocator methodNames) {
    this.methodNames = methodNames;
  }

  /**
   * The name of the method with these parameters and body: an existing one when an earlier
   * loop had the same text, else a new one.
   */
  String method(List<ParameterSpec> parameters, CodeBlock body) {
    StringBuilder key = new StringBuilder();
    for (ParameterSpec p : parameters) {
      key.append(p.type()).append(' ').append(p.name()).append(',');
    }
    key.append('\n').append(body);
    String existing = byText.get(key.toString());
    if (existing != null) {
      return existing;
    }
    String name = methodNames.newName("parallelBody" + methods.size());
    methods.add(MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("One iteration of the parallel loops with this body.\n")
        .addParameters(parameters)
        .addCode(body)
        .build());
    byText.put(key.toString(), name);
    return name;
  }

  /** The methods, in order of first use. */
  List<MethodSpec> methods() {
    return List.copyOf(methods);
  }
}
