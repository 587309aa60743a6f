package dev.kiln.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EditDistanceTest {
  @Test
  void countsInsertionsDeletionsAndSubstitutions() {
    assertEquals(0, EditDistance.between("Relu", "Relu"));
    assertEquals(3, EditDistance.between("kitten", "sitting"));
    assertEquals(4, EditDistance.between("", "dce2"));
    assertEquals(1, EditDistance.between("TestAd", "TestAdd"));
  }

  @Test
  void aSwapOfAdjacentLettersIsOneEdit() {
    assertEquals(1, EditDistance.between("Rleu", "Relu"));
    assertEquals(2, EditDistance.between("ab", "Ba"), "case-sensitive");
  }
}
