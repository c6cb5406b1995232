using ChatGateway.Gateway.Ingest;
using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.Tests.Ingest;

/// <summary>
/// The inbound writer's filter of stored provider keys: a key added is always found (a redelivery is never
/// taken for a new message, however large the store grows), and few keys never added are reported, so a
/// new message rarely costs a look into the store.
/// </summary>
public sealed class ProviderKeyFilterTests
{
    [Fact]
    public void EveryKeyAdded_IsFound_AsTheFilterGrowsPastItsFirstCapacity()
    {
        var filter = new ProviderKeyFilter();
        var keys = Enumerable.Range(0, 300_000).Select(i => Message.KeyOf("sms", MessageDirection.In, $"SM{i:x32}")).ToList();
        foreach (var key in keys)
        {
            filter.Add(key);
        }

        Assert.All(keys, key => Assert.True(filter.MayContain(key)));
        Assert.Equal(300_000, filter.Count);
    }

    [Fact]
    public void KeysNeverAdded_AreReportedRarely_AndTheFilterTakesAboutTenBitsAKey()
    {
        var filter = new ProviderKeyFilter(expectedKeys: 100_000);
        for (var i = 0; i < 200_000; i++)
        {
            filter.Add(Message.KeyOf("webchat", MessageDirection.In, $"stored-{i}"));
        }

        var falsePositives = Enumerable.Range(0, 100_000).Count(i => filter.MayContain(Message.KeyOf("webchat", MessageDirection.In, $"new-{i}")));

        Assert.True(falsePositives < 2_000, $"{falsePositives} of 100,000 new messages would be looked up in the store");
        Assert.InRange(filter.Bytes * 8.0 / 200_000, 8, 24);
    }

    [Fact]
    public void AnEmptyFilter_HasNothing()
    {
        var filter = new ProviderKeyFilter();
        Assert.False(filter.MayContain(Message.KeyOf("sms", MessageDirection.In, "SM1")));
        Assert.Equal(0, filter.Count);
    }
}
