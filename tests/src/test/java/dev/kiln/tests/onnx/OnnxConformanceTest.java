package dev.kiln.tests.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class OnnxConformanceTest {
  @Test
  void nodeTests() throws IOException {
    Path root = SharedDir.require("onnx-node-tests");
    List<Path> dirs;
    try (Stream<Path> s = Files.list(root)) {
      dirs = s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
    }
    Map<String, NodeTestCase.Outcome> outcomes = new TreeMap<>();
    long t0 = System.nanoTime();
    dirs.parallelStream().forEach(d -> {
      NodeTestCase.Outcome o = new NodeTestCase(d.getFileName().toString(), d).run();
      synchronized (outcomes) {
        outcomes.put(d.getFileName().toString(), o);
      }
    });
    long passed = outcomes.values().stream()
        .filter(o -> o.status() == NodeTestCase.Status.PASSED).count();
    StringBuilder sb = new StringBuilder();
    outcomes.forEach((k, v) -> sb.append(k).append('\t').append(v.status()).append('\t')
        .append(v.detail()).append('\n'));
    Files.writeString(Path.of("target-conformance.txt"), sb.toString());
    System.out.println("passed " + passed + " of " + outcomes.size() + " in "
        + (System.nanoTime() - t0) / 1_000_000 + " ms");
  }
}
