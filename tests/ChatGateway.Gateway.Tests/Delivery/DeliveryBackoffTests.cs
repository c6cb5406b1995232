using ChatGateway.Gateway.Delivery;

namespace ChatGateway.Gateway.Tests.Delivery;

/// <summary>The wait between send attempts: doubling from 2 s up to 5 min (the defaults), spread by ±20% so retries after one outage do not come back together.</summary>
public sealed class DeliveryBackoffTests
{
    [Theory]
    [InlineData(1, 0.5, 2_000)]
    [InlineData(2, 0.5, 4_000)]
    [InlineData(5, 0.5, 32_000)]
    [InlineData(9, 0.5, 300_000)]
    [InlineData(60, 0.5, 300_000)]
    [InlineData(1, 0.0, 1_600)]
    [InlineData(1, 0.999999, 2_400)]
    [InlineData(9, 0.0, 240_000)]
    public void Backoff_Doubles_UpToTheLongest_SpreadByAFifth(int attempts, double random, int milliseconds) =>
        Assert.Equal(milliseconds, (int)Math.Round(DeliveryService.Backoff(attempts, random, new DeliveryOptions()).TotalMilliseconds));
}
