namespace ChatGateway.Gateway;

/// <summary>
/// The gateway's background checks that run every so often: wait, run, log a failure and go on, until the gateway
/// stops. One wait at a time (not a periodic timer): when the clock jumps forward (a machine woken from sleep, a
/// test's clock moved by days) the check runs once for the jump, where a periodic timer ran it once for every period
/// the jump passed over (a day is 86,400 one-second ticks).
/// </summary>
internal static class Periodic
{
    /// <summary>
    /// Runs <paramref name="check"/> every <paramref name="interval"/> of <paramref name="time"/> (first after one
    /// interval, or at once with <paramref name="runFirst"/>) until <paramref name="stoppingToken"/> is cancelled; a
    /// failure goes to <paramref name="failed"/> and the next run comes as planned. Never throws.
    /// </summary>
    public static async Task RunAsync(
        TimeProvider time,
        TimeSpan interval,
        Func<CancellationToken, Task> check,
        Action<Exception> failed,
        CancellationToken stoppingToken,
        bool runFirst = false)
    {
        try
        {
            if (!runFirst)
            {
                await Task.Delay(interval, time, stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await check(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    failed(ex);
                }

                await Task.Delay(interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
