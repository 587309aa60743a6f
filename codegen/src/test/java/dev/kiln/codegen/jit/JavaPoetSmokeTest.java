package dev.kiln.codegen.jit;

import static dev.kiln.codegen.jit.JitTestSupport.callStatic;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import java.util.Map;
import javax.lang.model.element.Modifier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The path the emitter will take: JavaPoet builds the source, the JIT compiles and loads it. */
@Tag("compile")
class JavaPoetSmokeTest {
  private static final JitCompiler JIT = new JitCompiler(
      JitTestSupport.JAVAC, KernelCache.inMemory(8), JavaPoetSmokeTest.class.getClassLoader());

  @Test
  void classBuiltWithJavaPoetCompilesAndRuns() throws Exception {
    MethodSpec axpy = MethodSpec.methodBuilder("axpy")
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
        .addParameter(TypeName.FLOAT, "a")
        .addParameter(ArrayTypeName.of(TypeName.FLOAT), "x")
        .addParameter(ArrayTypeName.of(TypeName.FLOAT), "y")
        .beginControlFlow("for (int i = 0; i < x.length; i++)")
        .addStatement("y[i] += a * x[i]")
        .endControlFlow()
        .build();
    TypeSpec kernel = TypeSpec.classBuilder("Axpy")
        .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
        .addMethod(axpy)
        .build();
    JavaFile file = JavaFile.builder("gen.poet", kernel).build();
    ClassName name = ClassName.get("gen.poet", "Axpy");

    CompiledUnit unit = JIT.compile(CacheKey.builder().part("ir", "axpy").build(),
        Map.of(name.canonicalName(), file.toString()));
    float[] y = {1, 1, 1};
    callStatic(unit.loadedClass(name.canonicalName()), "axpy", 2f, new float[] {1, 2, 3}, y);
    assertArrayEquals(new float[] {3, 5, 7}, y);
  }

  @Test
  void vectorApiKernelCompilesAndRuns() throws Exception {
    String source = """
        package gen.vec;

        import jdk.incubator.vector.FloatVector;
        import jdk.incubator.vector.VectorOperators;
        import jdk.incubator.vector.VectorSpecies;

        public final class Dot {
          private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

          public static float dot(float[] a, float[] b) {
            FloatVector acc = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i < SPECIES.loopBound(a.length); i += SPECIES.length()) {
              acc = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; i < a.length; i++) {
              sum += a[i] * b[i];
            }
            return sum;
          }

          public static int lanes() {
            return SPECIES.length();
          }
        }
        """;
    CompiledUnit unit = JIT.compile(CacheKey.builder().part("ir", "dot").build(), Map.of("gen.vec.Dot", source));
    Class<?> dot = unit.loadedClass("gen.vec.Dot");
    float[] a = new float[37];
    float[] b = new float[37];
    float expected = 0;
    for (int i = 0; i < a.length; i++) {
      a[i] = i * 0.5f;
      b[i] = 2 - i;
      expected += a[i] * b[i];
    }
    // Small integers and halves: every product and partial sum is exact in float, so the lane
    // order of the reduction cannot change the result.
    assertEquals(expected, (float) callStatic(dot, "dot", a, b));
    assertEquals(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length(), callStatic(dot, "lanes"));
  }
}
