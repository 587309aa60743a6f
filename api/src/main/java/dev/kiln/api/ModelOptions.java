package dev.kiln.api;

/**
 * How a model is prepared and run.
 *
 * @param engine which engine runs the model
 */
public record ModelOptions(Engine engine) {

  /** The engines that can run a model. */
  public enum Engine {
    /** The reference interpreter: plain Java per operator; the oracle for everything else. */
    INTERPRETER
  }

  public static ModelOptions defaults() {
    return new ModelOptions(Engine.INTERPRETER);
  }

  public ModelOptions withEngine(Engine newEngine) {
    return new ModelOptions(newEngine);
  }
}
