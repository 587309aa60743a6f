package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonReaderTest {
  @Test
  void readsEveryKindOfValue() {
    Object v = JsonReader.parse(" {\"a\" : [1, -2.5e1, true, false, null], \"b\":{}, \"c\":[], \"d\":\"x\"} ");
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("a", Arrays.asList(1.0, -25.0, true, false, null));
    expected.put("b", Map.of());
    expected.put("c", List.of());
    expected.put("d", "x");
    assertEquals(expected, v);
  }

  @Test
  void readsEscapes() {
    assertEquals("q\" b\\ s/ \b\f\n\r\t é", JsonReader.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9\""));
  }

  @Test
  void keepsTheKeysInFileOrder() {
    Map<?, ?> m = (Map<?, ?>) JsonReader.parse("{\"z\":1,\"a\":2,\"m\":3}");
    assertEquals(List.of("z", "a", "m"), List.copyOf(m.keySet()));
  }

  @Test
  void namesTheOffsetOfAnError() {
    assertError("[1, 2", "JSON at offset 5: expected ',' or ']', found the end");
    assertError("{\"a\" 1}", "JSON at offset 5: expected ':', found '1'");
    assertError("{1:2}", "JSON at offset 1: expected a string key, found '1'");
    assertError("[1] x", "JSON at offset 4: expected the end of the text, found 'x'");
    assertError("\"abc", "JSON at offset 4: expected the closing '\"' of a string, found the end");
    assertError("\"\\q\"", "JSON at offset 2: expected an escape");
    assertError("\"\\u12\"", "expected four hex digits");
    assertError("tru", "JSON at offset 0: expected a value, found 't'");
    assertError("-", "JSON at offset 0: expected a number, found '-'");
    assertError("", "JSON at offset 0: expected a value, found the end");
  }

  private static void assertError(String json, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(json));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
