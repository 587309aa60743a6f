package dev.kiln.bench;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.Strings;
import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;

/**
 * A GitHub-flavoured markdown table whose columns are padded to the same width, so that it reads
 * in a terminal as well as rendered. A '|' in a cell is escaped.
 */
public final class MarkdownTable {
  private final ImmutableList<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public MarkdownTable(List<String> header) {
    checkArgument(!header.isEmpty(), "a table needs at least one column");
    this.header = ImmutableList.copyOf(header);
  }

  public MarkdownTable(String... header) {
    this(List.of(header));
  }

  public MarkdownTable addRow(List<String> cells) {
    checkArgument(cells.size() == header.size(), "a row of %s cells in a table of %s columns",
        cells.size(), header.size());
    rows.add(cells.stream().map(MarkdownTable::escape).toList());
    return this;
  }

  public MarkdownTable addRow(String... cells) {
    return addRow(List.of(cells));
  }

  private static String escape(String cell) {
    return cell.replace("|", "\\|").replace('\n', ' ');
  }

  /** The table, one line per row, each line ending in a newline. */
  public String render() {
    int[] widths = new int[header.size()];
    for (int c = 0; c < widths.length; c++) {
      widths[c] = Math.max(3, header.get(c).length());
      for (List<String> row : rows) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    StringBuilder out = new StringBuilder();
    line(out, header, widths);
    List<String> rule = new ArrayList<>();
    for (int width : widths) {
      rule.add("-".repeat(width));
    }
    line(out, rule, widths);
    for (List<String> row : rows) {
      line(out, row, widths);
    }
    return out.toString();
  }

  private static void line(StringBuilder out, List<String> cells, int[] widths) {
    out.append('|');
    for (int c = 0; c < cells.size(); c++) {
      out.append(' ').append(Strings.padEnd(cells.get(c), widths[c], ' ')).append(" |");
    }
    out.append('\n');
  }

  @Override
  public String toString() {
    return render();
  }
}
