package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OpRegistryTest {
  @Test
  void suggestsTheClosestOperator() {
    OpRegistry r = OpRegistry.standard();
    assertEquals(Optional.of("Relu"), r.closest("Rleu")); // a transposition is one edit
    assertEquals(Optional.of("Relu"), r.closest("relu"));
    assertEquals(Optional.of("MatMul"), r.closest("Matmul"));
    assertEquals(Optional.of("Conv"), r.closest("Convv"));
    assertEquals(Optional.empty(), r.closest("CompletelyUnrelatedName"));
  }

  @Test
  void rejectsDuplicateRegistration() {
    OpSchema relu = OpRegistry.standard().lookup("Relu").orElseThrow();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OpRegistry.standard().plus(List.of(relu)));
    assertEquals("operator Relu registered twice", e.getMessage());
  }
}
