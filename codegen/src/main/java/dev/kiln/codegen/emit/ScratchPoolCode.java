package dev.kiln.codegen.emit;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.lang.model.element.Modifier;

/**
 * The pool of {@code float[]} scratch arrays (packed panels, tiles) that generated GEMM and
 * convolution kernels take and give back around each call, so that a steady stream of runs
 * allocates no scratch. Arrays are pooled by exact length: a GEMM takes arrays of two sizes (an
 * A block and a B panel) from several threads, and the single queue it had before handed out
 * whichever came first, dropped it when too small and allocated a new one (up to a megabyte).
 */
public final class ScratchPoolCode {
  private ScratchPoolCode() {}

  private static final TypeName QUEUE = ParameterizedTypeName.get(
      ClassName.get(ConcurrentLinkedQueue.class), ArrayTypeName.of(TypeName.FLOAT));

  /** {@code private static final ConcurrentHashMap<Integer, ConcurrentLinkedQueue<float[]>> pool}. */
  public static FieldSpec field(String pool) {
    return FieldSpec.builder(ParameterizedTypeName.get(ClassName.get(ConcurrentHashMap.class),
            ClassName.get(Integer.class), QUEUE), pool,
            Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .initializer("new $T<>()", ConcurrentHashMap.class).build();
  }

  /** {@code float[] take(int n)}: a pooled array of exactly n floats, or a new one. */
  public static MethodSpec take(String name, String pool) {
    return MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .returns(float[].class)
        .addParameter(int.class, "n")
        .addStatement("final $T q = $L.get(n)", QUEUE, pool)
        .addStatement("final float[] s = q == null ? null : q.poll()")
        .addStatement("return s != null ? s : new float[n]")
        .build();
  }

  /** {@code void give(float[] s)}: back into the pool of its length. */
  public static MethodSpec give(String name, String pool) {
    return MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(float[].class, "s")
        .addStatement("$L.computeIfAbsent(s.length, k -> new $T<>()).offer(s)", pool,
            ConcurrentLinkedQueue.class)
        .build();
  }
}
