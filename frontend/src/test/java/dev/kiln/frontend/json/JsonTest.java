package dev.kiln.frontend.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.frontend.json.JsonValue.JsonArray;
import dev.kiln.frontend.json.JsonValue.JsonBoolean;
import dev.kiln.frontend.json.JsonValue.JsonNull;
import dev.kiln.frontend.json.JsonValue.JsonNumber;
import dev.kiln.frontend.json.JsonValue.JsonObject;
import dev.kiln.frontend.json.JsonValue.JsonString;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {
  @Test
  void parsesEveryKind() {
    JsonValue v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\\u00e9\\n\": \"x\\\"y\"} ");
    assertEquals(
        new JsonObject(ImmutableMap.of(
            "a", new JsonArray(ImmutableList.of(new JsonNumber("1"), new JsonNumber("-2.5e3"),
                new JsonBoolean(true), new JsonBoolean(false), new JsonNull())),
            "b\u00e9\n", new JsonString("x\"y"))),
        v);
  }

  @Test
  void integersAreExact() {
    assertEquals(Optional.of(9223372036854775807L), new JsonNumber("9223372036854775807").asLong());
    assertEquals(Optional.empty(), new JsonNumber("9223372036854775808").asLong());
    assertEquals(Optional.empty(), new JsonNumber("2.0").asLong());
    assertEquals(Optional.empty(), new JsonNumber("1e3").asLong());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "[1,]               | unexpected ']', expected a value at character 3",
      "{'a': 1}           | expected a string key, got ''' at character 1",
      "[01]               | leading zero in a number at character 2",
      "[1.]               | expected a digit after '.', got ']' at character 3",
      "\"abc              | unterminated string at character 0",
      "[\"\\x\"]            | invalid escape '\\x' at character 3",
      "{\"a\":1,\"a\":2}    | duplicate key \"a\" at character 7",
      "{} x               | unexpected 'x' after the JSON value at character 3",
      "[tru]              | unexpected 't', expected a value at character 1",
      "x                  | unexpected 'x', expected a value at character 0",
  })
  void rejectsWithPosition(String text, String message) {
    JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> Json.parse(text));
    assertEquals(message, e.getMessage());
  }

  @Test
  void rejectsRawControlCharactersAndDeepNesting() {
    assertEquals("unescaped control character U+0009 in a string at character 2",
        assertThrows(JsonSyntaxException.class, () -> Json.parse("[\"\t\"]")).getMessage());
    assertEquals("nesting deeper than 512 at character 512",
        assertThrows(JsonSyntaxException.class, () -> Json.parse("[".repeat(600))).getMessage());
  }
}
