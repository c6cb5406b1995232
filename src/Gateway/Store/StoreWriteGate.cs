using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Store;

/// <summary>
/// Lets this process's busiest SQLite writers (the follow-up firer, delivery's claims and results, order events) take
/// the database's one write lock in the order they asked for it. Without it they meet at SQLite's busy handler, which
/// sleeps a waiter for growing steps (up to 100 ms each) while a writer that just committed takes the lock again: under
/// a thousand follow-ups a second one of them waited seconds. PostgreSQL locks rows and needs no gate: there it is
/// open.
/// </summary>
/// <remarks>
/// Hold it for one transaction, from before it begins until it is committed or disposed, and never enter it again
/// inside (it is not reentrant). Writers in other processes, and those not using the gate, still take turns by SQLite's
/// lock.
/// </remarks>
internal sealed class StoreWriteGate(IOptions<StoreOptions> store)
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly bool _open = !store.Value.IsSqlite;

    /// <summary>Waits for this process's turn to write; dispose the result to pass it on.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        if (_open)
        {
            return default;
        }

        // SemaphoreSlim serves its asynchronous waiters first come, first served.
        await _turn.WaitAsync(cancellationToken);
        return new Turn(_turn);
    }

    public readonly struct Turn(SemaphoreSlim? turn) : IDisposable
    {
        public void Dispose() => turn?.Release();
    }
}
