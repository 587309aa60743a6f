package dev.kiln.frontend.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SafeTensorsFileTest {
  @TempDir Path dir;

  /** A tensor of {@code dtype} whose elements are all different and include a negative one. */
  private static Tensor sample(DType dtype, long... shape) {
    int n = Math.toIntExact(Tensor.zeros(dtype, shape).size());
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = dtype == DType.BOOL ? i % 2 : dtype.isSigned() ? i * 1.5 - 3 : i + 1;
    }
    return Tensor.ofDoubles(dtype, shape, values);
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void roundTripsEveryDType(DType dtype) {
    Path file = dir.resolve(dtype + ".safetensors");
    Tensor matrix = sample(dtype, 2, 3);
    Tensor scalar = sample(dtype);
    Tensor empty = sample(dtype, 0, 4);
    SafeTensorsFile.write(file, Map.of("m", matrix, "s", scalar, "e", empty));
    try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
      assertEquals(List.of("e", "m", "s"), List.copyOf(f.keys()));
      assertEquals(matrix, f.get("m").orElseThrow());
      assertEquals(scalar, f.get("s").orElseThrow());
      assertEquals(empty, f.get("e").orElseThrow());
      assertEquals(Optional.empty(), f.get("missing"));
      assertTrue(f.get("m").orElseThrow().data().isMapped(), "tensors are mapped, not copied");
    }
  }

  @Test
  void writesDeterministicPaddedHeaderWithMetadata() throws IOException {
    Path file = dir.resolve("w.safetensors");
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("b", Tensor.ofFloats(new long[] {2}, 1f, 2f));
    tensors.put("a", Tensor.ofLongs(new long[] {1}, 7));
    SafeTensorsFile.write(file, tensors, Map.of("format", "pt"));
    byte[] bytes = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, n % 8, "header length is a multiple of 8");
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertEquals(
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
        header.stripTrailing());
    assertEquals(8 + n + 16, bytes.length);
    try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
      assertEquals(Map.of("format", "pt"), f.metadata());
      assertEquals(7, f.get("a").orElseThrow().getLong(0));
      assertEquals(2.0, f.get("b").orElseThrow().getDouble(1));
    }
    // Same input, same bytes.
    Path again = dir.resolve("again.safetensors");
    SafeTensorsFile.write(again, Map.of("a", tensors.get("a"), "b", tensors.get("b")),
        Map.of("format", "pt"));
    assertEquals(-1, java.util.Arrays.mismatch(bytes, Files.readAllBytes(again)));
  }

  @Test
  void tensorsOutliveClose() {
    Path file = dir.resolve("c.safetensors");
    SafeTensorsFile.write(file, Map.of("x", Tensor.ofFloats(new long[] {3}, 1, 2, 3)));
    Tensor x;
    SafeTensorsFile f = SafeTensorsFile.open(file);
    x = f.get("x").orElseThrow();
    f.close();
    assertEquals(3.0, x.getDouble(2));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.get("x"));
    assertEquals(file + " is closed", e.getMessage());
  }

  @Test
  void rejectsMetadataAsTensorKey() {
    Path file = dir.resolve("m.safetensors");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SafeTensorsFile.write(file, Map.of("__metadata__", Tensor.scalar(DType.F32, 1))));
    assertEquals("cannot write " + file
        + ": \"__metadata__\" is reserved and cannot be a tensor key", e.getMessage());
  }

  // ---- malformed files: each asserts the exact message ----

  private Path raw(byte[] bytes) throws IOException {
    Path file = dir.resolve("bad.safetensors");
    Files.write(file, bytes);
    return file;
  }

  /** A file with header {@code json} (unpadded) followed by {@code dataBytes} zero bytes. */
  private Path withHeader(String json, int dataBytes) throws IOException {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return raw(b.array());
  }

  private void assertRejected(Path file, String expectedAfterName) {
    SafeTensorsException e =
        assertThrows(SafeTensorsException.class, () -> SafeTensorsFile.open(file));
    assertEquals(file + ": " + expectedAfterName, e.getMessage());
  }

  @Test
  void fileShorterThanLengthField() throws IOException {
    assertRejected(raw(new byte[5]), "file is 5 bytes, too short for the 8-byte header length");
  }

  @Test
  void missingFile() {
    assertRejected(dir.resolve("bad.safetensors"), "cannot read: no such file");
    assertRejected(dir, "is a directory, not a safetensors file");
  }

  @Test
  void headerLengthBeyondFile() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(1000);
    assertRejected(raw(b.array()),
        "header length 1000 is larger than the rest of the file (12 bytes)");
    b.putLong(0, -1L);
    assertRejected(raw(b.array()),
        "header length 18446744073709551615 is larger than the rest of the file (12 bytes)");
  }

  @Test
  void headerNotJson() throws IOException {
    assertRejected(withHeader("{\"w\": {\"dtype\" \"F32\"}}", 0),
        "header is not valid JSON: expected ':' after an object key, got '\"' at character 15");
    assertRejected(withHeader("{\"w\": {},}", 0),
        "header is not valid JSON: expected a string key, got '}' at character 9");
    assertRejected(withHeader("[1]", 0), "header must be a JSON object, got an array");
  }

  @Test
  void headerNotUtf8() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(4).put(new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'});
    assertRejected(raw(b.array()), "header is not valid UTF-8");
  }

  @Test
  void duplicateKey() throws IOException {
    String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
    assertRejected(withHeader("{\"w\":" + t + ",\"w\":" + t + "}", 4),
        "header is not valid JSON: duplicate key \"w\" at character 54");
  }

  @Test
  void unknownDType() throws IOException {
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
        "tensor \"w\": unknown dtype \"F8_E4M3\" (supported: F64, F32, F16, BF16, I64, I32, I16, "
            + "I8, U64, U32, U16, U8, BOOL)");
  }

  @Test
  void badShapes() throws IOException {
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}", 0),
        "tensor \"w\": \"shape\" dimension 1 must be a non-negative integer, got -1");
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,0]}}", 0),
        "tensor \"w\": \"shape\" dimension 0 must be a non-negative integer, got 2.5");
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,0]}}", 0),
        "tensor \"w\": \"shape\" must be an array, got a number");
  }

  @Test
  void badDataOffsets() throws IOException {
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
        "tensor \"w\": \"data_offsets\" must be two non-negative integers [begin, end], got [0]");
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}}", 4),
        "tensor \"w\": \"data_offsets\" must be two non-negative integers [begin, end], got [0, \"4\"]");
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4),
        "tensor \"w\": data_offsets [4, 0] end before they begin");
  }

  @Test
  void truncatedData() throws IOException {
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 20),
        "tensor \"w\": data_offsets [0, 24] reach past the end of the data section (20 bytes); "
            + "the file is truncated or the header is wrong");
  }

  @Test
  void headerLiesAboutSize() throws IOException {
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 24),
        "tensor \"w\": F32[2, 3] needs 24 bytes but data_offsets [0, 20] hold 20");
  }

  @Test
  void overlappingRanges() throws IOException {
    assertRejected(withHeader("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12),
        "tensors \"a\" and \"b\" overlap: data_offsets [0, 8] and [4, 12]");
  }

  @Test
  void missingAndUnknownFields() throws IOException {
    assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
        "tensor \"w\": missing field \"shape\"");
    assertRejected(withHeader(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"offset\":0}}", 4),
        "tensor \"w\": unknown field \"offset\" (expected \"dtype\", \"shape\", \"data_offsets\")");
    assertRejected(withHeader("{\"w\":[]}", 0), "tensor \"w\": expected an object, got an array");
  }

  @Test
  void badMetadata() throws IOException {
    assertRejected(withHeader("{\"__metadata__\":{\"epoch\":3}}", 0),
        "\"__metadata__\" entry \"epoch\" must be a string, got a number");
  }

  @Test
  void acceptsGapsAndHeaderPadding() throws IOException {
    // Another writer may align tensors, leaving gaps; trailing spaces pad the header.
    Path file = withHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
        + "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[8,10]}}     ", 10);
    try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
      assertEquals(List.of("a", "b"), List.copyOf(f.keys()));
      assertEquals(2, f.get("b").orElseThrow().size());
    }
  }
}
