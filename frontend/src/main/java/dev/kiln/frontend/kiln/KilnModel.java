package dev.kiln.frontend.kiln;

import dev.kiln.ir.graph.Graph;
import java.util.Optional;

/**
 * A model read from Kiln text: its verified graph and the weights file its constants refer to.
 *
 * @param weightsFile the {@code weights "..."} path as written in the file (relative to the
 *     model file), empty when the model has no external weights
 */
public record KilnModel(Graph graph, Optional<String> weightsFile) {}
