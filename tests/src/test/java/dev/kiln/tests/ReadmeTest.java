package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's Java snippet is ReadmeExample, verbatim, and it runs. */
class ReadmeTest {
  @Test
  void readmeShowsTheExampleVerbatim() throws IOException {
    String source = Files.readString(Path.of("tests/src/test/java/dev/kiln/tests/ReadmeExample.java"));
    String snippet = source.substring(
        source.indexOf("// README-BEGIN\n") + "// README-BEGIN\n".length(), source.indexOf("// README-END"));
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains("```java\n" + snippet + "```"),
        "README.md must contain the snippet of ReadmeExample.java verbatim in a ```java block");
  }

  @Test
  void exampleRuns() {
    PrintStream saved = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      ReadmeExample.main(new String[0]);
    } finally {
      System.setOut(saved);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertTrue(out.startsWith("probabilities: f32[1, 10] ["), out);
  }
}
