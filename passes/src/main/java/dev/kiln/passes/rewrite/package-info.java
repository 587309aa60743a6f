/**
 * Graph rewrite patterns: the public API for local rewrites. A {@link
 * dev.kiln.passes.rewrite.RewritePattern} looks at one node and returns a replacement or the
 * reason it does not apply; {@link dev.kiln.passes.rewrite.GreedyRewriteDriver} applies a set of
 * patterns until none applies; {@link dev.kiln.passes.rewrite.PatternPass} makes a set a pass.
 */
package dev.kiln.passes.rewrite;
