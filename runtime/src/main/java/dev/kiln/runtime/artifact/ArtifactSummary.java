package dev.kiln.runtime.artifact;

/**
 * What was written: for {@code kiln compile} to print and for size figures.
 *
 * @param fileBytes the jar's size
 * @param classBytes the class files' total size (uncompressed)
 * @param weightBytes the constants' total size
 */
public record ArtifactSummary(java.nio.file.Path file, long fileBytes, int classes, long classBytes,
    int weights, long weightBytes, ArtifactManifest manifest) {}
