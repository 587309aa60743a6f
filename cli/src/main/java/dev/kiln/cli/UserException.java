package dev.kiln.cli;

/** A mistake on the command line or in a file it names, shown as {@code kiln: error: message}. */
final class UserException extends RuntimeException {
  UserException(String message) {
    super(message, null, false, false);
  }
}
