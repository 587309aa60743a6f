package dev.kiln.bench;

import com.google.common.collect.ImmutableList;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.NameAllocator;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.codegen.gemm.CacheSizes;
import dev.kiln.codegen.gemm.GemmGenerator;
import dev.kiln.codegen.gemm.GemmParams;
import dev.kiln.codegen.gemm.GemmSpec;
import dev.kiln.codegen.jit.CompiledClasses;
import dev.kiln.codegen.jit.JavaSourceCompiler;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.ParallelExecutor;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import javax.lang.model.element.Modifier;

/**
 * Diagnostic of the per-process speed lottery (docs/performance.md, "Fresh pages and aligned
 * weights"): two ways of timing a GEMM inside ONE process, by the calling thread's CPU time.
 *
 * <ul>
 *   <li>{@code gemm M K N THREADS [aOff bOff cOff]...}: the generated GEMM alone (B a prepacked
 *       constant, as {@code kiln bench matmul:MxKxN} compiles it), A, packed B and C each in an
 *       array of its own at a chosen element offset, timed per placement. Under
 *       {@code -XX:-UseCompressedOops} the offsets count from a 4096-byte boundary of the address
 *       space (read through {@code sun.misc.Unsafe}) and the addresses mod 4096 are printed;
 *       otherwise from the array's first element. Without offsets: a fixed sweep.
 *   <li>{@code model SPEC|FILE.onnx THREADS ROUNDS}: the model as {@code kiln bench} runs it
 *       ({@code Kiln.load} at -O3, {@code Model.run}, a fresh output each run), ROUNDS rounds of 20
 *       runs, each round's p10 and median with the process's GC count and minor page faults so
 *       far. This is what showed slow rounds to be rounds of page faults.
 *   <li>{@code trace SPEC|FILE.onnx THREADS RUNS} (JVM flag {@code -Dkiln.parallelTrace=true}):
 *       the model as above after a settling warm-up, RUNS runs each with its per-thread summary
 *       and the median run's time line of {@link dev.kiln.runtime.compiled.ParallelTrace}: split
 *       loops and chunks, GEMM packing and tiles, output allocations and input copies, in µs
 *       from the run's start, wall and thread CPU time, and the processor each ended on
 *       (docs/performance.md, "The 2-thread GEMM's time line"); workers' waits (WAIT, with how
 *       often they looked) and parks (PARK) are events too. {@code -Dkiln.traceAllRuns=true}
 *       prints every run's time line, not only the median's.
 * </ul>
 *
 * <pre>
 * java -XX:+UseParallelGC --add-modules jdk.incubator.vector -cp "bench/target/kiln-bench.jar:bench/target/lib/*" \
 *   dev.kiln.bench.GemmPlacement model matmul:1024x1024x1024 1 14
 * </pre>
 */
public final class GemmPlacement {
  private GemmPlacement() {}

  public static void main(String[] args) throws Throwable {
    try {
      run(args, System.out);
    } catch (IllegalArgumentException e) {
      System.err.println("GemmPlacement: " + e.getMessage());
      System.exit(2);
    }
  }

  static void run(String[] args, PrintStream out) throws Throwable {
    if (args.length >= 4 && args[0].equals("trace")) {
      trace(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), out);
    } else if (args.length >= 4 && args[0].equals("model")) {
      model(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), out);
    } else if (args.length >= 5 && args[0].equals("gemm") && (args.length - 5) % 3 == 0) {
      int[][] placements = new int[(args.length - 5) / 3][];
      for (int i = 0; i < placements.length; i++) {
        placements[i] = new int[] {Integer.parseInt(args[5 + 3 * i]), Integer.parseInt(args[6 + 3 * i]),
            Integer.parseInt(args[7 + 3 * i])};
      }
      if (placements.length == 0) {
        placements = new int[][] {{0, 0, 0}, {0, 4, 0}, {0, 8, 0}, {0, 16, 0}, {0, 1, 0}, {4, 0, 0}, {0, 0, 4},
            {0, 0, 512}, {0, 512, 0}, {0, 0, 0}};
      }
      gemm(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
          Integer.parseInt(args[4]), placements, out);
    } else {
      throw new IllegalArgumentException("usage: gemm M K N THREADS [aOff bOff cOff]... | "
          + "model SPEC|FILE.onnx THREADS ROUNDS | trace SPEC|FILE.onnx THREADS RUNS; got " + Arrays.toString(args));
    }
  }

  // ---- trace: the per-thread time line of Model.run ----

  /*
   * Prints, for RUNS runs of the model after a settling warm-up, who ran what when: the split
   * loops, their chunks, the GEMMs' packing calls and tiles, each on its thread, in microseconds
   * from the run's start, with the thread CPU time of each piece (a piece whose CPU time is well
   * below its wall time was descheduled; one whose CPU time grows on 2 threads against 1 is
   * slowed by what the threads share). Needs -Dkiln.parallelTrace=true.
   */
  private static void trace(String spec, int threads, int runs, PrintStream out) throws IOException {
    if (!dev.kiln.runtime.compiled.ParallelTrace.ON) {
      throw new IllegalArgumentException("trace needs the JVM flag -Dkiln.parallelTrace=true");
    }
    Path file = SyntheticModels.isSpec(spec) ? SyntheticModels.writeOnnx(spec, Files.createTempDirectory("kiln-trace"))
        : Path.of(spec);
    Model model = Kiln.load(file, ModelOptions.defaults().withThreads(threads).withOptimizationLevel(3));
    // As the bench holds them (KilnRunner): read in place, not copied into the arena every run.
    Map<String, Tensor> inputs = KilnRunner.inArrays(ModelInputs.of(model.inputs(), file, 0).tensors());
    var warm = dev.kiln.runtime.compiled.WarmUp.run(() -> model.run(inputs), 20, 2_000_000_000L, 30_000_000_000L);
    out.printf("%s, %d threads: warm-up %d runs, %.1f s, %s; workers moved off the caller's processor %d times%n", spec,
        threads, warm.runs(), warm.nanos() / 1e9, warm.settled() ? "settled" : "NOT settled",
        dev.kiln.runtime.compiled.Processors.moves());
    java.util.List<TracedRun> traced = new java.util.ArrayList<>();
    for (int r = 0; r < runs; r++) {
      dev.kiln.runtime.compiled.ParallelTrace.reset();
      long t0 = System.nanoTime();
      model.run(inputs);
      long t1 = System.nanoTime();
      traced.add(new TracedRun(t0, t1, dev.kiln.runtime.compiled.ParallelTrace.events()));
    }
    out.println("per run: wall ms | per thread: first piece starts (us from run start), tiles, tile ms (wall / cpu),"
        + " pack ms, last piece ends (us)");
    for (TracedRun t : traced) {
      out.printf("%8.3f ms |%s%n", (t.end - t.start) / 1e6, t.summary());
    }
    java.util.List<TracedRun> sorted = new java.util.ArrayList<>(traced);
    sorted.sort(java.util.Comparator.comparingLong(t -> t.end - t.start));
    TracedRun median = sorted.get(sorted.size() / 2);
    out.printf("time line of the median run (%.3f ms), us from its start:%n", (median.end - median.start) / 1e6);
    out.print(median.timeLine());
    if (Boolean.getBoolean("kiln.traceAllRuns")) {
      for (TracedRun t : traced) {
        out.printf("time line of a run (%.3f ms):%n", (t.end - t.start) / 1e6);
        out.print(t.timeLine());
      }
    }
  }

  /** One traced run: its wall-clock bounds and the events recorded in it. */
  private record TracedRun(long start, long end, java.util.List<dev.kiln.runtime.compiled.ParallelTrace.Event> events) {
    private java.util.Map<String, java.util.List<dev.kiln.runtime.compiled.ParallelTrace.Event>> byThread() {
      java.util.Map<String, java.util.List<dev.kiln.runtime.compiled.ParallelTrace.Event>> m = new java.util.TreeMap<>();
      for (var e : events) {
        if (e.kind() != dev.kiln.runtime.compiled.ParallelTrace.Kind.LOOP) {
          m.computeIfAbsent(e.thread(), x -> new java.util.ArrayList<>()).add(e);
        }
      }
      return m;
    }

    String summary() {
      StringBuilder s = new StringBuilder();
      for (var entry : byThread().entrySet()) {
        long first = Long.MAX_VALUE;
        long last = 0;
        long tileWall = 0;
        long tileCpu = 0;
        long packWall = 0;
        int tiles = 0;
        for (var e : entry.getValue()) {
          first = Math.min(first, e.start());
          last = Math.max(last, e.end());
          switch (e.kind()) {
            case TILE -> {
              tiles++;
              tileWall += e.nanos();
              tileCpu += e.cpu();
            }
            case PACK -> packWall += e.nanos();
            default -> { }
          }
        }
        s.append(String.format(" %s: %6.0f, %2d, %6.3f / %6.3f, %5.3f, %6.0f |", entry.getKey(), (first - start) / 1e3,
            tiles, tileWall / 1e6, tileCpu / 1e6, packWall / 1e6, (last - start) / 1e3));
      }
      return s.toString();
    }

    String timeLine() {
      StringBuilder s = new StringBuilder();
      var all = new java.util.ArrayList<>(events);
      all.sort(java.util.Comparator.comparingLong(dev.kiln.runtime.compiled.ParallelTrace.Event::start));
      for (var e : all) {
        s.append(String.format("  %-14s %-5s a=%-5d b=%-5d %8.1f .. %8.1f  wall %8.1f  cpu %8.1f  on %d%n", e.thread(),
            e.kind(), e.a(), e.b(), (e.start() - start) / 1e3, (e.end() - start) / 1e3, e.nanos() / 1e3,
            e.cpu() / 1e3, e.core()));
      }
      return s.toString();
    }
  }

  // ---- model: Model.run as kiln bench runs it ----

  private static void model(String spec, int threads, int rounds, PrintStream out) throws IOException {
    Path file;
    if (SyntheticModels.isSpec(spec)) {
      file = SyntheticModels.writeOnnx(spec, Files.createTempDirectory("kiln-placement"));
    } else {
      file = Path.of(spec);
    }
    Model model = Kiln.load(file, ModelOptions.defaults().withThreads(threads).withOptimizationLevel(3));
    // As the bench holds them (KilnRunner): read in place, not copied into the arena every run.
    Map<String, Tensor> inputs = KilnRunner.inArrays(ModelInputs.of(model.inputs(), file, 0).tensors());
    for (int i = 0; i < 60; i++) {
      model.run(inputs);
    }
    for (int r = 0; r < rounds; r++) {
      long[] t = new long[20];
      for (int i = 0; i < t.length; i++) {
        long t0 = now(threads);
        model.run(inputs);
        t[i] = now(threads) - t0;
      }
      Arrays.sort(t);
      long gcs = 0;
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        gcs += gc.getCollectionCount();
      }
      out.printf("%s round %d: p10 %7.3f ms  median %7.3f ms  gcs %d  minor-faults %d%n", spec, r, t[2] / 1e6,
          t[10] / 1e6, gcs, minorFaults());
    }
  }

  /** The calling thread's CPU time on 1 thread (what the other threads do is not its), else wall clock. */
  private static long now(int threads) {
    ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    return threads == 1 ? bean.getCurrentThreadCpuTime() : System.nanoTime();
  }

  /** This process's minor page faults so far (/proc/self/stat field 10), or -1 where there is none. */
  static long minorFaults() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[7]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  // ---- gemm: the generated GEMM with its operands placed ----

  private static void gemm(int m, int k, int n, int threads, int[][] placements, PrintStream out) throws Throwable {
    GemmParams p = GemmParams.of(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length(), CacheSizes.detect());
    out.println(p + (Addresses.AVAILABLE ? "" : "; offsets from each array's first element (no addresses: "
        + "run with -XX:-UseCompressedOops for 4096-byte-aligned bases)"));
    MethodHandle gemm = generate(p, m, k, n);
    int nr = p.nr();
    int panels = (n + nr - 1) / nr;
    Random rnd = new Random(1);
    float[] a = new float[m * k];
    float[] b = new float[k * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = rnd.nextFloat() - 0.5f;
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = rnd.nextFloat() - 0.5f;
    }
    // The panel layout of PackedWeights: [panels, k, nr], zero-padded.
    float[] packed = new float[panels * k * nr];
    for (int q = 0; q < panels; q++) {
      for (int pp = 0; pp < k; pp++) {
        for (int j = 0; j < nr && q * nr + j < n; j++) {
          packed[q * k * nr + pp * nr + j] = b[pp * n + q * nr + j];
        }
      }
    }
    try (ParallelExecutor par = threads == 1 ? ParallelExecutor.serial() : ParallelExecutor.withThreads(threads)) {
      Operands warm = new Operands(a, packed, m * n, new int[3]);
      for (int i = 0; i < 30; i++) {
        warm.run(gemm, par);
      }
      for (int[] pl : placements) {
        Operands o = new Operands(a, packed, m * n, pl);
        long[] t = new long[15];
        for (int i = 0; i < 5; i++) {
          o.run(gemm, par);
        }
        for (int i = 0; i < t.length; i++) {
          long t0 = now(threads);
          o.run(gemm, par);
          t[i] = now(threads) - t0;
        }
        Arrays.sort(t);
        o.check(a, b, m, k, n);
        out.printf("a+%-4d b+%-4d c+%-4d %s p10 %8.3f ms  median %8.3f ms  %6.1f GFLOP/s%n", pl[0], pl[1], pl[2],
            o.where(), t[1] / 1e6, t[t.length / 2] / 1e6, 2.0 * m * n * k / t[1]);
      }
    }
  }

  /** A, packed B and C, each in an array of its own at (a 4096-byte boundary plus) the given offset. */
  private static final class Operands {
    final float[][] arrays = new float[3][];
    final int[] offsets = new int[3];

    Operands(float[] a, float[] packedB, int cLength, int[] placement) {
      float[][] data = {a, packedB, null};
      int[] lengths = {a.length, packedB.length, cLength};
      for (int x = 0; x < 3; x++) {
        float[] array = new float[lengths[x] + 1024 + placement[x]];
        offsets[x] = (Addresses.AVAILABLE ? Addresses.floatsToAlign(array, 4096) : 0) + placement[x];
        if (data[x] != null) {
          System.arraycopy(data[x], 0, array, offsets[x], lengths[x]);
        }
        arrays[x] = array;
      }
    }

    /** The operands' addresses mod 4096 (as now: a GC may move them), when they can be read. */
    String where() {
      if (!Addresses.AVAILABLE) {
        return "";
      }
      StringBuilder s = new StringBuilder("(mod 4096:");
      for (int x = 0; x < 3; x++) {
        s.append(' ').append("abc".charAt(x)).append(' ')
            .append((Addresses.dataAddress(arrays[x]) + 4L * offsets[x]) % 4096);
      }
      return s.append(")").toString();
    }

    /** Throws unless C holds A B (every 7th element checked against a scalar product). */
    void check(float[] a, float[] b, int m, int k, int n) {
      for (int e = 0; e < m * n; e += 7) {
        int i = e / n;
        int j = e % n;
        double want = 0;
        for (int p = 0; p < k; p++) {
          want += (double) a[i * k + p] * b[p * n + j];
        }
        float got = arrays[2][offsets[2] + e];
        if (Math.abs(got - want) > 1e-3 * Math.sqrt(k)) {
          throw new IllegalStateException("C[" + i + ", " + j + "] = " + got + ", want " + want);
        }
      }
    }

    void run(MethodHandle gemm, ParallelExecutor par) throws Throwable {
      gemm.invokeExact(arrays[0], offsets[0], arrays[1], offsets[1], arrays[2], offsets[2], par);
    }
  }

  private static MethodHandle generate(GemmParams p, int m, int k, int n) throws ReflectiveOperationException {
    GemmGenerator g = new GemmGenerator(p, new NameAllocator());
    GemmSpec spec = new GemmSpec(m, n, k, k, 1, n, 1, n, new Local("acc", DType.F32), ImmutableList.of(), true, true);
    String entry = g.generate(spec, null);
    TypeSpec.Builder t = TypeSpec.classBuilder("PlacedGemm").addModifiers(Modifier.PUBLIC, Modifier.FINAL);
    g.fields().forEach(t::addField);
    g.methods().forEach(t::addMethod);
    t.addMethod(MethodSpec.methodBuilder("run").addModifiers(Modifier.PUBLIC, Modifier.STATIC)
        .addParameter(float[].class, "a").addParameter(int.class, "ao")
        .addParameter(float[].class, "b").addParameter(int.class, "bo")
        .addParameter(float[].class, "c").addParameter(int.class, "co")
        .addParameter(ParallelExecutor.class, "par")
        .addStatement("$L(a, ao, b, bo, c, co, par)", entry).build());
    String source = JavaFile.builder("dev.kiln.generated", t.build()).build().toString();
    CompiledClasses classes = JavaSourceCompiler.forCurrentProcess()
        .compile(Map.of("dev.kiln.generated.PlacedGemm", source));
    ClassLoader loader = new ClassLoader(GemmPlacement.class.getClassLoader()) {
      @Override
      protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = classes.bytes(name).orElseThrow(() -> new ClassNotFoundException(name));
        return defineClass(name, bytes, 0, bytes.length);
      }
    };
    Class<?> c = loader.loadClass("dev.kiln.generated.PlacedGemm");
    return MethodHandles.publicLookup().findStatic(c, "run", MethodType.methodType(void.class, float[].class,
        int.class, float[].class, int.class, float[].class, int.class, ParallelExecutor.class));
  }

  /**
   * Addresses of heap arrays through {@code sun.misc.Unsafe} (a diagnostic only: valid until a GC
   * moves the array), read as a raw reference, so only with {@code -XX:-UseCompressedOops}.
   */
  static final class Addresses {
    private static final sun.misc.Unsafe U = unsafe();
    static final boolean AVAILABLE = U != null && U.arrayIndexScale(Object[].class) == 8;

    private static sun.misc.Unsafe unsafe() {
      try {
        var f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        return (sun.misc.Unsafe) f.get(null);
      } catch (ReflectiveOperationException | RuntimeException e) {
        return null;
      }
    }

    @SuppressWarnings("removal")
    static long dataAddress(float[] a) {
      Object[] holder = {a};
      return U.getLong(holder, (long) U.arrayBaseOffset(Object[].class)) + U.arrayBaseOffset(float[].class);
    }

    static int floatsToAlign(float[] a, int bytes) {
      long address = dataAddress(a);
      return (int) (((bytes - address % bytes) % bytes) / 4);
    }
  }
}
