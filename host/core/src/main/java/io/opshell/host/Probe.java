package io.opshell.host;

/**
 * An application-defined operation a shell can call by name ({@code host.call}): the way an
 * embedding service exposes its own state without changing the ABI. Runs on the session's
 * thread under the state lock's discipline of the application (opshell holds no lock during it).
 */
@FunctionalInterface
public interface Probe {
    /**
     * @param who      the calling operator
     * @param argument the text the shell passed
     * @return the answer text; throw {@link io.opshell.abi.AbiException} to return an error code
     */
    String call(OperatorIdentity who, String argument);
}
