package dev.kiln.codegen.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.NameAllocator;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import com.google.common.collect.ImmutableList;
import dev.kiln.codegen.conv.ConvGenerator;
import dev.kiln.codegen.conv.ConvSpec;
import dev.kiln.codegen.gemm.EpilogueCode;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.codegen.gemm.GemmGenerator;
import dev.kiln.codegen.gemm.GemmSpec;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.type.DType;
import java.util.Optional;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.Frame;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.RangeTask;
import dev.kiln.runtime.compiled.Storage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * One kernel as one private static method {@code (Frame)}: its prologue binds each buffer's array
 * and base offset to locals, then the loop nest follows. Every Java identifier comes from one
 * {@link NameAllocator} seeded only with the emitter's own names ({@code b0}, {@code o0},
 * {@code i0}, ...), never with names from the model.
 */
final class KernelEmitter {
  static final ClassName FRAME = ClassName.get(Frame.class);

  private final Kernel kernel;
  private final EmitOptions options;
  private final List<String> notes;
  private final NameAllocator names = new NameAllocator();
  private final Map<Buffer, String> arrays = new LinkedHashMap<>();
  private final Map<Buffer, String> offsets = new LinkedHashMap<>();
  private final ScalarExprs scalar;
  private final VectorLoops vector;
  /** Serial copy nests that transpose (the layout reorders), as register transposes. */
  private final TransposeLoops transposes;
  private final String frame;
  private final GemmGenerator gemm;
  private final AttentionGenerator attention;
  private final java.util.Set<Buffer> packedWeights;
  private final ConvGenerator conv;
  private final Map<Buffer, Tensor> inlined;
  private final ParallelBodies bodies;
  /** Whether a parallel body this emitter outlined used vectors. */
  private boolean outlinedVectors;
  private int nextName;

  KernelEmitter(Kernel kernel, FrameLayout layout, Map<Buffer, Tensor> inlined, EmitOptions options,
      List<String> notes, MethodSpec.Builder method, GemmGenerator gemm, AttentionGenerator attention,
      ConvGenerator conv, java.util.Set<Buffer> packedWeights, ParallelBodies bodies) {
    this(kernel, inlined, options, notes, gemm, attention, conv, packedWeights, bodies);
    method.addParameter(FRAME, frame);
    java.util.Set<Buffer> matrices = new java.util.HashSet<>();
    StmtWalk.matmulBuffers(kernel.body(), matrices);
    for (Buffer b : kernel.buffers()) {
      if (inlined.containsKey(b) && b.size() == 1 && !matrices.contains(b)) {
        continue;
      }
      int slot = layout.slotOf(b);
      String array = names.newName("b" + slot);
      String offset = names.newName("o" + slot);
      arrays.put(b, array);
      offsets.put(b, offset);
      Storage s = Storage.of(b.dtype());
      method.addStatement("final $T $L = $L.$L($L)", s.arrayClass(), array, frame, accessor(s), slot);
      method.addStatement("final int $L = $L.offset($L)", offset, frame, slot);
    }
  }

  /** An emitter of one method of the kernel without buffers bound yet (they are parameters). */
  private KernelEmitter(Kernel kernel, Map<Buffer, Tensor> inlined, EmitOptions options, List<String> notes,
      GemmGenerator gemm, AttentionGenerator attention, ConvGenerator conv,
      java.util.Set<Buffer> packedWeights, ParallelBodies bodies) {
    this.kernel = kernel;
    this.inlined = inlined;
    this.gemm = gemm;
    this.attention = attention;
    this.conv = conv;
    this.packedWeights = packedWeights;
    this.bodies = bodies;
    this.options = options;
    this.notes = notes;
    this.frame = names.newName("frame");
    this.scalar = new ScalarExprs(arrays, offsets, inlined);
    this.vector = new VectorLoops(scalar, this);
    this.transposes = new TransposeLoops(scalar, this);
  }

  private static String accessor(Storage s) {
    return switch (s) {
      case FLOAT -> "floats";
      case DOUBLE -> "doubles";
      case SHORT -> "shorts";
      case BYTE -> "bytes";
      case INT -> "ints";
      case LONG -> "longs";
    };
  }

  /** The body of the kernel's method. */
  CodeBlock body() {
    CodeBlock.Builder code = CodeBlock.builder();
    stmt(kernel.body(), Env.root(), code);
    return code.build();
  }

  boolean usedVectors() {
    return vector.used() || outlinedVectors;
  }

  String fresh(String prefix) {
    return names.newName(prefix + nextName++);
  }

  void note(String why) {
    notes.add("kernel " + CommentText.escape(kernel.name()) + ": " + why);
  }

  /** Floats per vector of the class's species, 0 when it is the JVM's preferred one (unknown here). */
  int vectorLanes() {
    return options.effectiveGemm().lanes();
  }

  int maxUnroll() {
    return options.maxUnroll();
  }

  boolean vectorizeEnabled() {
    return options.vectorize();
  }

  void stmt(Stmt s, Env env, CodeBlock.Builder code) {
    switch (s) {
      case Stmt.For f -> loop(f, env, code);
      case Stmt.Store st -> {
        checkBuffer(st.buffer());
        code.addStatement("$L = $L", scalar.element(st.buffer(), st.indices(), env),
            JavaTypes.toStorage(st.buffer().dtype(), scalar.expr(st.value(), env)));
      }
      case Stmt.Block b -> b.stmts().forEach(x -> stmt(x, env, code));
      case Stmt.If i -> {
        code.beginControlFlow("if ($L)", scalar.expr(i.condition(), env));
        stmt(i.then(), env.child(), code);
        if (i.otherwise().isPresent()) {
          code.nextControlFlow("else");
          stmt(i.otherwise().get(), env.child(), code);
        }
        code.endControlFlow();
      }
      case Stmt.Let l -> {
        CodeBlock init = scalar.expr(l.init(), env);
        String name = fresh("t");
        env.bind(l.local(), name);
        code.addStatement("$T $L = $L", JavaTypes.computeType(l.local().type()), name, init);
      }
      case Stmt.Assign a -> code.addStatement("$L = $L", env.local(a.local()),
          scalar.expr(a.value(), env));
      case Stmt.Matmul mm -> matmul(mm, env, code);
      case Stmt.BlockedConv cv -> blockedConv(cv, code);
      case Stmt.Attention at -> attention(at, env, code);
    }
  }

  /**
   * The attention intrinsic: a call of the generated fused attention ({@link AttentionGenerator})
   * when it can take it, else its three steps as plain code (the two matmuls as matmuls, the
   * softmax rows scalar, in the reference order).
   */
  private void attention(Stmt.Attention at, Env env, CodeBlock.Builder code) {
    checkBuffer(at.output().c().buffer());
    Optional<AttentionGenerator.Spec> spec = attentionSpec(at);
    if (spec.isPresent()) {
      String method = attention.generate(spec.get());
      code.beginControlFlow("");
      List<String> args = new ArrayList<>();
      List<MatrixOperand> operands = new ArrayList<>(List.of(at.scores().a(), at.scores().b(),
          at.output().b(), at.output().c()));
      at.scores().addends().forEach(x -> operands.add(x.operand()));
      for (MatrixOperand x : operands) {
        args.add(arrays.get(x.buffer()));
        args.add(operandBase(x, env, code));
      }
      code.addStatement("$L($L, $L.parallel())", method, String.join(", ", args), frame);
      code.endControlFlow();
      return;
    }
    matmul(at.scores(), env, code);
    code.beginControlFlow("");
    String s = operandBase(at.scores().c(), env, code);
    String p = operandBase(at.output().a(), env, code);
    String sa = arrays.get(at.scores().c().buffer());
    String pa = arrays.get(at.output().a().buffer());
    long n = at.scores().n();
    String i = fresh("i");
    String j = fresh("i");
    String max = fresh("t");
    String sum = fresh("t");
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", i, i, at.scores().m(), i);
    code.addStatement("float $L = Float.NEGATIVE_INFINITY", max);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", j, j, n, j);
    code.addStatement("$L = Math.max($L, $L[$L + $L * $L + $L])", max, max, sa, s, i, n, j);
    code.endControlFlow();
    code.addStatement("float $L = 0f", sum);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", j, j, n, j);
    code.addStatement("final float e = (float) Math.exp($L[$L + $L * $L + $L] - $L)", sa, s, i, n, j, max);
    code.addStatement("$L[$L + $L * $L + $L] = e", pa, p, i, n, j);
    code.addStatement("$L += e", sum);
    code.endControlFlow();
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", j, j, n, j);
    code.addStatement("$L[$L + $L * $L + $L] /= $L", pa, p, i, n, j, sum);
    code.endControlFlow();
    code.endControlFlow();
    code.endControlFlow();
    matmul(at.output(), env, code);
  }

  /**
   * What the attention generator needs, when it can take this statement: f32 throughout, q and
   * v and the output with unit column stride, the scores' addends scalars (a scale), a plain
   * output epilogue, and rows of the scores and of the output a whole number of vectors.
   */
  private Optional<AttentionGenerator.Spec> attentionSpec(Stmt.Attention at) {
    Stmt.Matmul s = at.scores();
    Stmt.Matmul o = at.output();
    int lanes = options.effectiveGemm().lanes();
    if (!options.vectorize() || lanes <= 1 || !options.effectiveGemm().enabled()
        || s.acc().type() != DType.F32 || o.acc().type() != DType.F32 || !o.plainEpilogue()
        || s.m() > Integer.MAX_VALUE || s.n() > Integer.MAX_VALUE || s.k() > Integer.MAX_VALUE
        || o.n() > Integer.MAX_VALUE || s.m() == 0 || s.n() == 0 || s.k() == 0 || o.n() == 0
        || s.n() % lanes != 0 || o.n() % lanes != 0
        || s.a().colStride() != 1 || o.b().colStride() != 1 || o.c().colStride() != 1) {
      return Optional.empty();
    }
    for (MatrixOperand x : at.reads()) {
      if (x.buffer().dtype() != DType.F32 || !arrays.containsKey(x.buffer())
          || x.buffer().equals(o.c().buffer())) {
        return Optional.empty();
      }
    }
    for (Stmt.Addend x : s.addends()) {
      if (x.operand().rowStride() != 0 || x.operand().colStride() != 0) {
        return Optional.empty();
      }
    }
    Optional<CodeBlock> scoreEpilogue = Optional.of(CodeBlock.of("$L", "acc"));
    if (!s.plainEpilogue()) {
      Map<Local, String> names = new java.util.HashMap<>();
      names.put(s.acc(), "acc");
      for (int x = 0; x < s.addends().size(); x++) {
        names.put(s.addends().get(x).local(), "x" + x);
      }
      scoreEpilogue = vector.epilogue(s.epilogue(), names, AttentionGenerator.S, false);
      if (scoreEpilogue.isEmpty()) {
        return Optional.empty();
      }
    }
    return Optional.of(new AttentionGenerator.Spec((int) s.m(), (int) s.n(), (int) s.k(), (int) o.n(),
        s.a().rowStride(), s.b().rowStride(), s.b().colStride(), o.b().rowStride(), o.c().rowStride(),
        s.addends().size(), scoreEpilogue.get().toString()));
  }

  /**
   * The epilogue expression of an intrinsic, as the generators ask for it; {@code blendClamps}:
   * whether a max or min against a constant is a compare and a blend ({@link VectorLoops}).
   */
  private EpilogueCode epilogueCode(Expr epilogue, boolean blendClamps) {
    return new EpilogueCode() {
      @Override
      public CodeBlock scalar(Map<Local, String> names) {
        Env e = Env.root();
        names.forEach(e::bind);
        return scalar.expr(epilogue, e);
      }

      @Override
      public Optional<CodeBlock> vector(Map<Local, String> names, String species) {
        return vector.epilogue(epilogue, names, species, blendClamps);
      }

      @Override
      public int operations() {
        return Exprs.operations(epilogue);
      }
    };
  }

  /**
   * The blocked convolution intrinsic: a call of the generated direct convolution
   * ({@link ConvGenerator}) when it can take it, else plain loops ({@link #plainBlockedConv}).
   */
  private void blockedConv(Stmt.BlockedConv cv, CodeBlock.Builder code) {
    checkBuffer(cv.y());
    boolean packed = packedWeights.contains(cv.w());
    ConvSpec spec = ConvSpec.of(cv, packed);
    boolean arrays = cv.reads().stream().allMatch(this.arrays::containsKey);
    if (!arrays || !conv.supports(spec)) {
      if (packed) {
        throw new IllegalStateException("kernel " + kernel.name() + ": a blocked_conv reads packed weights "
            + cv.w() + " but is not a generated convolution");
      }
      plainBlockedConv(cv, code);
      return;
    }
    String method = conv.generate(spec, epilogueCode(cv.epilogue(), true));
    List<String> args = new ArrayList<>();
    for (Buffer b : List.of(cv.x(), cv.w(), cv.y())) {
      args.add(arrays(b));
      args.add(offsets.get(b));
    }
    for (Stmt.ConvAddend a : cv.addends()) {
      args.add(arrays(a.buffer()));
      args.add(offsets.get(a.buffer()));
    }
    code.addStatement("$L($L, $L.parallel())", method, String.join(", ", args), frame);
  }

  private String arrays(Buffer b) {
    return arrays.get(b);
  }

  /**
   * The blocked convolution as plain loops in the reference order (each product and partial sum
   * rounded to float, as the loop-IR interpreter does): for vectors of another width than the
   * block, or without the Vector API.
   */
  private void plainBlockedConv(Stmt.BlockedConv cv, CodeBlock.Builder code) {
    ConvGeometry g = cv.geometry();
    long b = cv.block();
    long bi = cv.inputBlock();
    long mb = cv.y().dim(1);
    long cb = cv.x().dim(1);
    long h = cv.x().dim(2);
    long w = cv.x().dim(3);
    long oh = cv.y().dim(2);
    long ow = cv.y().dim(3);
    String x = arrays.get(cv.x());
    String wt = arrays.get(cv.w());
    String y = arrays.get(cv.y());
    String n = fresh("i");
    String m = fresh("i");
    String i = fresh("i");
    String j = fresh("i");
    String c = fresh("i");
    String r = fresh("i");
    String s = fresh("i");
    String out = fresh("t");
    String ih = fresh("t");
    String iw = fresh("t");
    String acc = fresh("t");
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", n, n, cv.y().dim(0), n);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", m, m, mb * b, m);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", i, i, oh, i);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", j, j, ow, j);
    code.addStatement("final int $L = (((($L * $L + $L / $L) * $L + $L) * $L + $L) * $L + $L % $L)", out, n, mb, m,
        b, oh, i, ow, j, b, m, b);
    code.beginControlFlow("if ($L >= $L)", m, g.outChannels());
    code.addStatement("$L[$L + $L] = 0f", y, offsets.get(cv.y()), out);
    code.nextControlFlow("else");
    code.addStatement("float $L = 0", acc);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", c, c, g.channels(), c);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", r, r, g.kernelH(), r);
    code.addStatement("final int $L = $L * $L - $L + $L * $L", ih, i, g.strideH(), g.padTop(), r, g.dilationH());
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", s, s, g.kernelW(), s);
    code.addStatement("final int $L = $L * $L - $L + $L * $L", iw, j, g.strideW(), g.padLeft(), s, g.dilationW());
    code.beginControlFlow("if ($L >= 0 && $L < $L && $L >= 0 && $L < $L)", ih, ih, h, iw, iw, w);
    code.addStatement("$L = $L + $L[$L + (((($L * $L + $L / $L) * $L + $L) * $L + $L) * $L + $L % $L)]"
        + " * $L[$L + ((($L * $L + $L) * $L + $L) * $L + $L)]", acc, acc,
        x, offsets.get(cv.x()), n, cb, c, bi, h, ih, w, iw, bi, c, bi,
        wt, offsets.get(cv.w()), m, g.channels(), c, g.kernelH(), r, g.kernelW(), s);
    code.endControlFlow();
    code.endControlFlow();
    code.endControlFlow();
    code.endControlFlow();
    Env inner = Env.root();
    inner.bind(cv.acc(), acc);
    for (Stmt.ConvAddend a : cv.addends()) {
      String name = fresh("t");
      code.addStatement("final float $L = $L[$L + $L]", name, arrays.get(a.buffer()), offsets.get(a.buffer()),
          a.perChannel() ? m : out);
      inner.bind(a.local(), name);
    }
    code.addStatement("$L[$L + $L] = $L", y, offsets.get(cv.y()), out, scalar.expr(cv.epilogue(), inner));
    code.endControlFlow();
    code.endControlFlow();
    code.endControlFlow();
    code.endControlFlow();
    code.endControlFlow();
  }

  /**
   * The matmul intrinsic: a call of the generated GEMM ({@link GemmGenerator}) when it can take
   * it, else plain loops ({@link #plainMatmul}).
   */
  private void matmul(Stmt.Matmul mm, Env env, CodeBlock.Builder code) {
    checkBuffer(mm.c().buffer());
    Optional<GemmSpec> spec = gemmSpec(mm);
    if (spec.isEmpty() && packedWeights.contains(mm.b().buffer())) {
      throw new IllegalStateException("kernel " + kernel.name() + ": a matmul reads packed weights "
          + mm.b().buffer() + " but is not a generated GEMM");
    }
    if (spec.isEmpty()) {
      plainMatmul(mm, env, code);
      return;
    }
    String method = gemm.generate(spec.get(), epilogueCode(mm.epilogue(), false));
    code.beginControlFlow("");
    List<String> args = new ArrayList<>();
    for (MatrixOperand x : operands(mm)) {
      args.add(arrays.get(x.buffer()));
      args.add(operandBase(x, env, code));
    }
    code.addStatement("$L($L, $L.parallel())", method, String.join(", ", args), frame);
    code.endControlFlow();
  }

  private static List<MatrixOperand> operands(Stmt.Matmul mm) {
    List<MatrixOperand> all = new ArrayList<>(List.of(mm.a(), mm.b(), mm.c()));
    mm.addends().forEach(x -> all.add(x.operand()));
    return all;
  }

  /**
   * What the GEMM generator needs, when it can take this matmul: f32 throughout, unit column
   * stride in C, int extents, and C not also read (a read of C during the blocked K loop would
   * see partial sums).
   */
  private Optional<GemmSpec> gemmSpec(Stmt.Matmul mm) {
    if (mm.acc().type() != DType.F32 || mm.m() > Integer.MAX_VALUE || mm.n() > Integer.MAX_VALUE
        || mm.k() > Integer.MAX_VALUE || mm.c().colStride() != 1) {
      return Optional.empty();
    }
    for (MatrixOperand x : operands(mm)) {
      if (x.buffer().dtype() != DType.F32 || !arrays.containsKey(x.buffer())) {
        return Optional.empty();
      }
    }
    for (MatrixOperand x : mm.reads()) {
      if (x.buffer().equals(mm.c().buffer())) {
        return Optional.empty();
      }
    }
    ImmutableList.Builder<GemmSpec.Addend> addends = ImmutableList.builder();
    mm.addends().forEach(x -> addends.add(new GemmSpec.Addend(x.local(), x.operand().rowStride(),
        x.operand().colStride())));
    GemmSpec spec = new GemmSpec((int) mm.m(), (int) mm.n(), (int) mm.k(), mm.a().rowStride(),
        mm.a().colStride(), mm.b().rowStride(), mm.b().colStride(), mm.c().rowStride(), mm.acc(),
        addends.build(), mm.plainEpilogue(), packedWeights.contains(mm.b().buffer()));
    return gemm.supports(spec) ? Optional.of(spec) : Optional.empty();
  }

  /**
   * The matmul intrinsic as plain loops in the reference order (each product and partial sum
   * rounded to float, as the loop-IR interpreter does).
   */
  private void plainMatmul(Stmt.Matmul mm, Env env, CodeBlock.Builder code) {
    code.beginControlFlow("");
    String a = operandBase(mm.a(), env, code);
    String b = operandBase(mm.b(), env, code);
    String c = operandBase(mm.c(), env, code);
    List<String> addendBases = new ArrayList<>();
    for (Stmt.Addend x : mm.addends()) {
      addendBases.add(operandBase(x.operand(), env, code));
    }
    String i = fresh("i");
    String j = fresh("i");
    String p = fresh("i");
    String acc = fresh("t");
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", i, i, mm.m(), i);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", j, j, mm.n(), j);
    code.addStatement("$T $L = 0", JavaTypes.computeType(mm.acc().type()), acc);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", p, p, mm.k(), p);
    code.addStatement("$L = $L + $L * $L", acc, acc,
        element(mm.a(), a, i, p), element(mm.b(), b, p, j));
    code.endControlFlow();
    Env inner = env.child();
    inner.bind(mm.acc(), acc);
    for (int x = 0; x < mm.addends().size(); x++) {
      Stmt.Addend addend = mm.addends().get(x);
      String name = fresh("t");
      code.addStatement("$T $L = $L", JavaTypes.computeType(addend.local().type()), name,
          JavaTypes.fromStorage(addend.operand().buffer().dtype(),
              element(addend.operand(), addendBases.get(x), i, j)));
      inner.bind(addend.local(), name);
    }
    code.addStatement("$L = $L", element(mm.c(), c, i, j),
        JavaTypes.toStorage(mm.c().buffer().dtype(), scalar.expr(mm.epilogue(), inner)));
    code.endControlFlow();
    code.endControlFlow();
    code.endControlFlow();
  }

  /** Declares the flat index of an operand's element (0, 0) in its frame array; returns its name. */
  private String operandBase(dev.kiln.ir.loop.MatrixOperand x, Env env, CodeBlock.Builder code) {
    String base = fresh("m");
    code.addStatement("final int $L = $L + $L", base, offsets.get(x.buffer()), scalar.expr(x.offset(), env));
    return base;
  }

  private CodeBlock element(dev.kiln.ir.loop.MatrixOperand x, String base, String row, String col) {
    return CodeBlock.of("$L[$L + $L * $L + $L * $L]", arrays.get(x.buffer()), base, row, x.rowStride(),
        col, x.colStride());
  }

  private void checkBuffer(Buffer b) {
    if (!arrays.containsKey(b)) {
      throw new IllegalArgumentException("kernel " + kernel.name() + " stores into " + b
          + ", which is not among its buffers");
    }
  }

  private void loop(Stmt.For f, Env env, CodeBlock.Builder code) {
    switch (f.kind()) {
      case SERIAL -> serial(f, env, code);
      case PARALLEL -> parallel(f, env, code);
      case UNROLLED -> unrolled(f, env, code);
      case VECTORIZED -> {
        if (!options.vectorize()) {
          serial(f, env, code);
        } else {
          vector.emit(f, env, code);
        }
      }
    }
  }

  void serial(Stmt.For f, Env env, CodeBlock.Builder code) {
    if (transposes.emit(f, env, code)) {
      return;
    }
    String v = fresh("i");
    code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", v, v, f.extent(), v);
    Env inner = env.child();
    inner.bind(f.var(), v, f.extent());
    stmt(f.body(), inner, code);
    code.endControlFlow();
  }

  private void unrolled(Stmt.For f, Env env, CodeBlock.Builder code) {
    if (f.extent() > options.maxUnroll()) {
      note("unrolled loop " + CommentText.escape(f.var().name()) + " of " + f.extent()
          + " iterations kept as a loop (more than " + options.maxUnroll() + ")");
      serial(f, env, code);
      return;
    }
    for (long k = 0; k < f.extent(); k++) {
      String v = fresh("i");
      code.beginControlFlow("");
      code.addStatement("final int $L = $L", v, k);
      Env inner = env.child();
      inner.bind(f.var(), v, f.extent());
      stmt(f.body(), inner, code);
      code.endControlFlow();
    }
  }

  /**
   * One task per chunk of the range on the frame's executor, calling the loop's body method once
   * per iteration ({@link #outlined}); a body that assigns an enclosing local (a reduction)
   * cannot run in parallel and stays serial.
   */
  private void parallel(Stmt.For f, Env env, CodeBlock.Builder code) {
    List<Local> assigned = new ArrayList<>();
    StmtWalk.assignedLocals(f.body(), assigned);
    Map<Local, String> outerLocals = env.visibleLocals();
    for (Local l : assigned) {
      if (outerLocals.containsKey(l)) {
        note("parallel loop " + CommentText.escape(f.var().name()) + " kept serial: it assigns "
            + "local " + CommentText.escape(l.name()) + " declared outside the loop");
        serial(f, env, code);
        return;
      }
    }
    outlined(f, env, code);
  }

  /**
   * The parallel loop as one call per iteration of a method holding its body, shared by every
   * loop with the same body text ({@link ParallelBodies}): the method's parameters are the
   * arrays and offsets of the buffers the body names, the enclosing loop variables and locals it
   * reads (final copies, which the lambda captures), the frame and the iteration, each in order
   * of first use ({@link FreeNames}); its own names are allocated afresh, so equal bodies print
   * equal. The parameters must fit the JVM's 255 slots, as a lambda's captures had to.
   */
  private void outlined(Stmt.For f, Env env, CodeBlock.Builder code) {
    FreeNames free = FreeNames.of(f.body(), java.util.Set.of(f.var()));
    Map<Var, String> visibleVars = env.visibleVars();
    Map<Local, String> visibleLocals = env.visibleLocals();
    List<Buffer> buffers = free.buffers().stream().filter(arrays::containsKey).toList();
    List<Var> vars = free.vars().stream().filter(visibleVars::containsKey).toList();
    List<Local> locals = free.locals().stream().filter(visibleLocals::containsKey).toList();
    KernelEmitter body = new KernelEmitter(kernel, inlined, options, notes, gemm, attention, conv, packedWeights, bodies);
    List<ParameterSpec> parameters = new ArrayList<>();
    List<String> args = new ArrayList<>();
    for (int k = 0; k < buffers.size(); k++) {
      Buffer b = buffers.get(k);
      String array = body.names.newName("b" + k);
      String offset = body.names.newName("o" + k);
      body.arrays.put(b, array);
      body.offsets.put(b, offset);
      parameters.add(ParameterSpec.builder(Storage.of(b.dtype()).arrayClass(), array).build());
      parameters.add(ParameterSpec.builder(int.class, offset).build());
      args.add(arrays.get(b));
      args.add(offsets.get(b));
    }
    Env inner = Env.root();
    Map<Var, Long> extents = env.extents();
    for (int k = 0; k < vars.size(); k++) {
      Var v = vars.get(k);
      String name = body.names.newName("c" + k);
      parameters.add(ParameterSpec.builder(int.class, name).build());
      inner.bind(v, name, extents.get(v));
      String copy = fresh("c");
      code.addStatement("final int $L = $L", copy, visibleVars.get(v));
      args.add(copy);
    }
    for (int k = 0; k < locals.size(); k++) {
      Local l = locals.get(k);
      String name = body.names.newName("l" + k);
      TypeName type = JavaTypes.computeType(l.type());
      parameters.add(ParameterSpec.builder(type, name).build());
      inner.bind(l, name);
      String copy = fresh("c");
      code.addStatement("final $T $L = $L", type, copy, visibleLocals.get(l));
      args.add(copy);
    }
    parameters.add(ParameterSpec.builder(FRAME, body.frame).build());
    args.add(frame);
    String index = body.names.newName("i");
    parameters.add(ParameterSpec.builder(int.class, index).build());
    inner.bind(f.var(), index, f.extent());
    CodeBlock.Builder bodyCode = CodeBlock.builder();
    body.stmt(f.body(), inner, bodyCode);
    outlinedVectors |= body.usedVectors();
    String method = bodies.method(parameters, bodyCode.build());
    String start = fresh("lo");
    String end = fresh("hi");
    String v = fresh("i");
    args.add(v);
    code.add("$L.parallel().forRange($L, ($T) ($L, $L) -> {\n$>", frame, f.extent(),
        ClassName.get(RangeTask.class), start, end);
    code.beginControlFlow("for (int $L = $L; $L < $L; $L++)", v, start, v, end, v);
    code.addStatement("$L($L)", method, String.join(", ", args));
    code.endControlFlow();
    code.add("$<});\n");
  }
}
