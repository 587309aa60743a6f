package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MarkdownTableTest {
  @Test
  void columnsArePaddedToTheirWidestCell() {
    String table = new MarkdownTable("model", "ms")
        .addRow("resnet18.onnx", "35.2")
        .addRow("mlp", "0.107")
        .render();
    assertEquals("""
        | model         | ms    |
        | ------------- | ----- |
        | resnet18.onnx | 35.2  |
        | mlp           | 0.107 |
        """, table);
  }

  @Test
  void aPipeInACellIsEscapedAndANewlineFlattened() {
    String table = new MarkdownTable("a").addRow("x|y\nz").render();
    assertEquals("""
        | a      |
        | ------ |
        | x\\|y z |
        """, table);
  }

  @Test
  void aTableWithoutRowsIsItsHeader() {
    assertEquals("| a   |\n| --- |\n", new MarkdownTable("a").render());
  }

  @Test
  void aRowMustHaveOneCellPerColumn() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new MarkdownTable("a", "b").addRow("only one"));
    assertEquals("a row of 1 cells in a table of 2 columns", e.getMessage());
  }

  @Test
  void numbersAreShownToAboutThreeSignificantDigits() {
    assertEquals("0.107", BenchReport.millis(0.10712));
    assertEquals("24.51", BenchReport.millis(24.5118));
    assertEquals("1523", BenchReport.millis(1523.4));
    assertEquals("", BenchReport.millis(Double.NaN));
    assertEquals("78 %", BenchReport.percent(0.781));
  }
}
