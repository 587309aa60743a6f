package dev.kiln.codegen.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import javax.lang.model.element.Modifier;

/**
 * The static {@code VectorSpecies<Float>} field a generated kernel class vectorizes with, one
 * place for the GEMM and convolution generators: a constant species (not SPECIES_PREFERRED)
 * lets C2 fold the vector length into the intrinsics.
 */
public final class SpeciesField {
  private static final ClassName FLOAT_VECTOR = ClassName.get("jdk.incubator.vector", "FloatVector");
  private static final ClassName SPECIES = ClassName.get("jdk.incubator.vector", "VectorSpecies");

  private SpeciesField() {}

  /** {@code private static final VectorSpecies<Float> NAME = FloatVector.SPECIES_<32 * lanes>} (4, 8, else 512 bits). */
  public static FieldSpec of(String name, int lanes) {
    String species = switch (lanes) {
      case 4 -> "SPECIES_128";
      case 8 -> "SPECIES_256";
      default -> "SPECIES_512";
    };
    return FieldSpec.builder(ParameterizedTypeName.get(SPECIES, ClassName.get(Float.class)), name,
            Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .initializer("$T.$L", FLOAT_VECTOR, species).build();
  }
}
