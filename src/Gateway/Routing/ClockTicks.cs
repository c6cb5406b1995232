namespace ChatGateway.Gateway.Routing;

/// <summary>
/// The wait of a background check that runs every so often on the gateway's clock. One wait at a time (not a periodic
/// timer): when the clock jumps forward (a machine woken from sleep, a test's clock moved by days) the check runs once
/// for the jump, where a periodic timer ran it once for every period the jump passed over (a day is 86,400 one-second ticks).
/// </summary>
internal static class ClockTicks
{
    /// <summary>Waits <paramref name="interval"/> on <paramref name="time"/>; false when the gateway is stopping.</summary>
    public static async Task<bool> NextAsync(TimeProvider time, TimeSpan interval, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(interval, time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
