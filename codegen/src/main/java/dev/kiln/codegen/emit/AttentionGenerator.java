package dev.kiln.codegen.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.NameAllocator;
import dev.kiln.runtime.compiled.ParallelExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Generates fused scaled dot-product attention ({@link dev.kiln.ir.loop.Stmt.Attention}), one
 * head per call, every extent and stride a literal. Per block of R query rows:
 *
 * <pre>
 *   S[R x n] = epilogue(Q[R rows] K^T)     R x 2 vectors of accumulators per column panel, into an
 *                                          L1 block (K^T packed once per call, d-major)
 *   softmax numerators of S in place       max and exp(x - max) with its sum, the R rows interleaved
 *   O[R rows] = (S V) / sum                R x 2 vectors of accumulators, V read in place, each
 *                                          output row times 1 / its sum
 * </pre>
 *
 * so the scores and probabilities never leave L1 and are never written to memory (the
 * statement's intermediates are its own). The rows are split over the executor's threads, each
 * chunk packing K^T for itself; inside a parallel loop (a head per iteration) the executor runs
 * the split serially. Rows past m in the last block read the last row (so every accumulator row
 * is defined) and are not stored. The sums are reassociated (vectors of partial sums) and the
 * softmax's division is a multiplication of each output row by the reciprocal of its sum, so results agree with the reference within
 * a tolerance, not bit for bit.
 */
public final class AttentionGenerator {
  static final String S = "ATTENTION_SPECIES";
  static final String POOL = "ATTENTION_SCRATCH";
  private static final ClassName EXECUTOR = ClassName.get(ParallelExecutor.class);

  /**
   * One attention shape.
   *
   * @param m query rows; {@code n} keys; {@code d} depth of the scores; {@code dv} columns of V
   * @param lda row stride of Q (column stride 1)
   * @param kRowStride stride of K^T's rows (along d); {@code kColStride} along the keys
   * @param ldv row stride of V (column stride 1); {@code ldo} of the output (column stride 1)
   * @param scalars how many scalar addends the scores' epilogue reads ({@code x0, x1, ...})
   * @param scoreEpilogue the scores' epilogue as vector code over {@code acc} and the scalars
   */
  public record Spec(int m, int n, int d, int dv, long lda, long kRowStride, long kColStride,
      long ldv, long ldo, int scalars, String scoreEpilogue) {}

  private final int lanes;
  private final NameAllocator methodNames;
  private final List<MethodSpec> methods = new ArrayList<>();
  private final Map<Spec, String> entries = new HashMap<>();
  private String take;
  private String give;

  /** @param lanes floats per vector (the GEMM's); @param methodNames the class's method names */
  public AttentionGenerator(int lanes, NameAllocator methodNames) {
    this.lanes = lanes;
    this.methodNames = methodNames;
  }

  public List<MethodSpec> methods() {
    return methods;
  }

  /** The class fields the methods use; empty when nothing was generated. */
  public List<FieldSpec> fields() {
    if (take == null) {
      return List.of();
    }
    return List.of(SpeciesField.of(S, lanes), ScratchPoolCode.field(POOL));
  }

  /**
   * The entry point of {@code spec}, called as {@code name(q, qBase, k, kBase, v, vBase, o, oBase,
   * [x, xBase]..., executor)}.
   */
  public String generate(Spec spec) {
    if (take == null) {
      take = methodNames.newName("attentionTake");
      give = methodNames.newName("attentionGive");
      methods.add(ScratchPoolCode.take(take, POOL));
      methods.add(ScratchPoolCode.give(give, POOL));
    }
    return entries.computeIfAbsent(spec, this::entry);
  }

  /** Rows per block: 8 with 32 vector registers (AVX-512), else 4. */
  private int rows() {
    return lanes >= 16 ? 8 : 4;
  }

  private String entry(Spec sp) {
    String name = methodNames.newName("attention");
    String rowsName = methodNames.newName("attentionRows");
    int r = rows();
    int blocks = (sp.m() + r - 1) / r;
    StringBuilder params = new StringBuilder("q, qo, k, ko, v, vo, o, oo");
    for (int x = 0; x < sp.scalars(); x++) {
      params.append(", s").append(x).append(", so").append(x);
    }
    MethodSpec.Builder main = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("$L", "Attention: scores " + sp.m() + " x " + sp.n() + " over depth " + sp.d()
            + ", output " + sp.m() + " x " + sp.dv() + ".\n");
    MethodSpec.Builder rows = MethodSpec.methodBuilder(rowsName)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC);
    for (String p : List.of("q", "k", "v", "o")) {
      main.addParameter(float[].class, p).addParameter(int.class, p + "o");
      rows.addParameter(float[].class, p).addParameter(int.class, p + "o");
    }
    for (int x = 0; x < sp.scalars(); x++) {
      main.addParameter(float[].class, "s" + x).addParameter(int.class, "so" + x);
      rows.addParameter(float[].class, "s" + x).addParameter(int.class, "so" + x);
    }
    main.addParameter(EXECUTOR, "par");
    rows.addParameter(int.class, "blk0").addParameter(int.class, "blk1");
    // One chunk per thread, each packing K^T once: more chunks would pack it more often.
    main.addStatement("final int chunks = Math.min($L, par.threads())", blocks);
    main.beginControlFlow("if (chunks > 1)");
    main.addStatement("par.forRange(chunks, ($T) (lo, hi) -> { for (int c = lo; c < hi; c++) "
        + "$L($L, c * $L / chunks, (c + 1) * $L / chunks); })",
        ClassName.get(dev.kiln.runtime.compiled.RangeTask.class), rowsName, params, blocks, blocks);
    main.nextControlFlow("else");
    main.addStatement("$L($L, 0, $L)", rowsName, params, blocks);
    main.endControlFlow();
    rows.addCode("$L", rowsBody(sp));
    methods.add(main.build());
    methods.add(rows.build());
    return name;
  }

  private String rowsBody(Spec sp) {
    int r = rows();
    int n = sp.n();
    int d = sp.d();
    StringBuilder b = new StringBuilder();
    b.append("final float[] kt = ").append(take).append("(").append(d * n).append(");\n");
    b.append("final float[] s = ").append(take).append("(").append(r * n).append(");\n");
    for (int x = 0; x < sp.scalars(); x++) {
      b.append("final jdk.incubator.vector.FloatVector x").append(x)
          .append(" = jdk.incubator.vector.FloatVector.broadcast(").append(S).append(", s").append(x)
          .append("[so").append(x).append("]);\n");
    }
    // K^T, d-major: kt[t * n + p] = k(t, p).
    b.append("for (int p = 0; p < ").append(n).append("; p++) {\n");
    b.append("  final int kp = ko + p * ").append(sp.kColStride()).append(";\n");
    b.append("  for (int t = 0; t < ").append(d).append("; t++) {\n");
    b.append("    kt[t * ").append(n).append(" + p] = k[kp + t * ").append(sp.kRowStride()).append("];\n");
    b.append("  }\n}\n");
    b.append("for (int blk = blk0; blk < blk1; blk++) {\n");
    b.append("  final int i0 = blk * ").append(r).append(";\n");
    for (int i = 0; i < r; i++) {
      b.append("  final int q").append(i).append(" = qo + Math.min(i0 + ").append(i).append(", ")
          .append(sp.m() - 1).append(") * ").append(sp.lda()).append(";\n");
    }
    // Scores: panels of 2 vectors, then at most one of 1 vector (n is a whole number of vectors).
    scorePanels(b, sp, 2);
    scorePanels(b, sp, 1);
    // Softmax of the block's rows, the rows interleaved (independent chains overlap): the max,
    // then exp(x - max) in place with its sum; the division by the sum is left to the output
    // (O = (E V) / sum, each output row scaled once instead of each probability).
    String fv = "jdk.incubator.vector.FloatVector";
    for (int i = 0; i < r; i++) {
      b.append("  ").append(fv).append(" mx").append(i).append(" = ").append(fv).append(".broadcast(")
          .append(S).append(", Float.NEGATIVE_INFINITY);\n");
    }
    b.append("  for (int j = 0; j < ").append(n).append("; j += ").append(lanes).append(") {\n");
    for (int i = 0; i < r; i++) {
      b.append("    mx").append(i).append(" = mx").append(i).append(".max(").append(fv).append(".fromArray(")
          .append(S).append(", s, ").append(i * n).append(" + j));\n");
    }
    b.append("  }\n");
    for (int i = 0; i < r; i++) {
      b.append("  final float max").append(i).append(" = mx").append(i)
          .append(".reduceLanes(jdk.incubator.vector.VectorOperators.MAX);\n");
    }
    // exp is a call that clobbers every vector register: one row at a time, so that only its max
    // and sum live across the calls.
    for (int i = 0; i < r; i++) {
      b.append("  final float inv").append(i).append(";\n");
      b.append("  {\n    final ").append(fv).append(" mv = ").append(fv).append(".broadcast(")
          .append(S).append(", max").append(i).append(");\n");
      b.append("    ").append(fv).append(" sum = ").append(fv).append(".zero(").append(S).append(");\n");
      b.append("    for (int j = ").append(i * n).append("; j < ").append((i + 1) * n).append("; j += ")
          .append(lanes).append(") {\n");
      b.append("      final ").append(fv).append(" e = ").append(fv).append(".fromArray(").append(S)
          .append(", s, j).sub(mv).lanewise(jdk.incubator.vector.VectorOperators.EXP);\n");
      b.append("      e.intoArray(s, j);\n");
      b.append("      sum = sum.add(e);\n    }\n");
      b.append("    inv").append(i).append(" = 1f / sum.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);\n  }\n");
    }
    outputPanels(b, sp, 2);
    outputPanels(b, sp, 1);
    b.append("}\n");
    b.append(give).append("(kt);\n");
    b.append(give).append("(s);\n");
    return b.toString();
  }

  /** The loop over column panels of {@code w} vectors of the scores (none left when {@code w} is 1 and n holds pairs). */
  private void scorePanels(StringBuilder b, Spec sp, int w) {
    int r = rows();
    int n = sp.n();
    int width = w * lanes;
    int start = w == 2 ? 0 : n / (2 * lanes) * 2 * lanes;
    int end = w == 2 ? start + n / width * width : n;
    if (start >= end) {
      return;
    }
    b.append("  for (int j0 = ").append(start).append("; j0 < ").append(end).append("; j0 += ")
        .append(width).append(") {\n");
    declareAccumulators(b, r, w);
    b.append("    for (int t = 0; t < ").append(sp.d()).append("; t++) {\n");
    b.append("      final int kb = t * ").append(n).append(" + j0;\n");
    for (int c = 0; c < w; c++) {
      b.append("      final jdk.incubator.vector.FloatVector w").append(c)
          .append(" = jdk.incubator.vector.FloatVector.fromArray(").append(S).append(", kt, kb + ")
          .append(c * lanes).append(");\n");
    }
    for (int i = 0; i < r; i++) {
      b.append("      final jdk.incubator.vector.FloatVector a").append(i)
          .append(" = jdk.incubator.vector.FloatVector.broadcast(").append(S).append(", q[q").append(i)
          .append(" + t]);\n");
      for (int c = 0; c < w; c++) {
        b.append("      c").append(i).append('_').append(c).append(" = a").append(i).append(".fma(w")
            .append(c).append(", c").append(i).append('_').append(c).append(");\n");
      }
    }
    b.append("    }\n");
    for (int i = 0; i < r; i++) {
      for (int c = 0; c < w; c++) {
        b.append("    {\n      final jdk.incubator.vector.FloatVector acc = c").append(i).append('_').append(c)
            .append(";\n      (").append(sp.scoreEpilogue()).append(").intoArray(s, ").append(i * n)
            .append(" + j0 + ").append(c * lanes).append(");\n    }\n");
      }
    }
    b.append("  }\n");
  }

  /** The loop over column panels of {@code w} vectors of the output. */
  private void outputPanels(StringBuilder b, Spec sp, int w) {
    int r = rows();
    int n = sp.n();
    int dv = sp.dv();
    int width = w * lanes;
    int start = w == 2 ? 0 : dv / (2 * lanes) * 2 * lanes;
    int end = w == 2 ? start + dv / width * width : dv;
    if (start >= end) {
      return;
    }
    b.append("  for (int c0 = ").append(start).append("; c0 < ").append(end).append("; c0 += ")
        .append(width).append(") {\n");
    declareAccumulators(b, r, w);
    b.append("    for (int p = 0; p < ").append(n).append("; p++) {\n");
    b.append("      final int vb = vo + p * ").append(sp.ldv()).append(" + c0;\n");
    for (int c = 0; c < w; c++) {
      b.append("      final jdk.incubator.vector.FloatVector w").append(c)
          .append(" = jdk.incubator.vector.FloatVector.fromArray(").append(S).append(", v, vb + ")
          .append(c * lanes).append(");\n");
    }
    for (int i = 0; i < r; i++) {
      b.append("      final jdk.incubator.vector.FloatVector a").append(i)
          .append(" = jdk.incubator.vector.FloatVector.broadcast(").append(S).append(", s[")
          .append(i * n).append(" + p]);\n");
      for (int c = 0; c < w; c++) {
        b.append("      c").append(i).append('_').append(c).append(" = a").append(i).append(".fma(w")
            .append(c).append(", c").append(i).append('_').append(c).append(");\n");
      }
    }
    b.append("    }\n");
    boolean guard = sp.m() % r != 0;
    for (int i = 0; i < r; i++) {
      b.append(guard ? "    if (i0 + " + i + " < " + sp.m() + ") {\n" : "    {\n");
      b.append("      final int ob = oo + (i0 + ").append(i).append(") * ").append(sp.ldo())
          .append(" + c0;\n");
      for (int c = 0; c < w; c++) {
        b.append("      c").append(i).append('_').append(c).append(".mul(inv").append(i)
            .append(").intoArray(o, ob + ").append(c * lanes).append(");\n");
      }
      b.append("    }\n");
    }
    b.append("  }\n");
  }

  private void declareAccumulators(StringBuilder b, int r, int w) {
    for (int i = 0; i < r; i++) {
      for (int c = 0; c < w; c++) {
        b.append("    jdk.incubator.vector.FloatVector c").append(i).append('_').append(c)
            .append(" = jdk.incubator.vector.FloatVector.zero(").append(S).append(");\n");
      }
    }
  }
}
