package dev.kiln.frontend.kiln;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.safetensors.SafeTensorsFile;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of docs/language.md are real: every {@code kiln} block reads, and every
 * {@code kiln-error} block gives exactly the report shown in the block after it.
 */
class LanguageDocTest {
  private static final Path DOC = Path.of("..", "docs", "language.md");
  private static final Pattern BLOCK = Pattern.compile("```([a-z-]*)\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern WEIGHT =
      Pattern.compile("const %\\S+: (\\w+)\\[([^\\]]*)\\] = weights\\[\"([^\"]+)\"\\]");

  record Block(String kind, String text) {}

  static List<Block> blocks() throws Exception {
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(Files.readString(DOC));
    while (m.find()) {
      blocks.add(new Block(m.group(1), m.group(2)));
    }
    return blocks;
  }

  @Test
  void everyCompleteExampleReads(@TempDir Path dir) throws Exception {
    int read = 0;
    for (Block b : blocks()) {
      if (b.kind().equals("kiln")) {
        writeWeightsFor(b.text(), dir);
        KilnText.parse(b.text(), "doc.kiln", dir);
        read++;
      }
    }
    assertFalse(read == 0, "no kiln examples found in " + DOC);
  }

  @Test
  void errorExamplesShowTheRealReport() throws Exception {
    List<Block> blocks = blocks();
    int checked = 0;
    for (int i = 0; i < blocks.size(); i++) {
      if (blocks.get(i).kind().equals("kiln-error")) {
        String text = blocks.get(i).text();
        ModelLoadException e = assertThrows(ModelLoadException.class,
            () -> KilnText.parse(text, "m.kiln", Path.of(".")));
        assertEquals(blocks.get(i + 1).text().stripTrailing(), e.getMessage());
        checked++;
      }
    }
    assertFalse(checked == 0, "no kiln-error examples found in " + DOC);
  }

  /** A weights file with a zero tensor for each {@code weights[...]} constant of the example. */
  private static void writeWeightsFor(String text, Path dir) {
    Matcher file = Pattern.compile("weights \"([^\"]+)\"").matcher(text);
    if (!file.find()) {
      return;
    }
    Map<String, Tensor> tensors = new HashMap<>();
    Matcher w = WEIGHT.matcher(text);
    while (w.find()) {
      long[] shape = Arrays.stream(w.group(2).split(",")).map(String::trim)
          .filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
      tensors.put(w.group(3), Tensor.zeros(DType.fromText(w.group(1)).orElseThrow(), shape));
    }
    SafeTensorsFile.write(dir.resolve(file.group(1)), tensors);
  }
}
