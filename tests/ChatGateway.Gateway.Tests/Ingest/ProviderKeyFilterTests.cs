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
    public void KeysNeverAdded_AreReportedRarely_AndTheFilterTakesAboutTwentyFourBitsAKey()
    {
        var filter = new ProviderKeyFilter(expectedKeys: 100_000);
        for (var i = 0; i < 200_000; i++)
        {
            filter.Add(Message.KeyOf("webchat", MessageDirection.In, $"stored-{i}"));
        }

        var falsePositives = Enumerable.Range(0, 100_000).Count(i => filter.MayContain(Message.KeyOf("webchat", MessageDirection.In, $"new-{i}")));

        Assert.True(falsePositives < 10, $"{falsePositives} of 100,000 new messages would be looked up in the store");
        Assert.InRange(filter.Bytes * 8.0 / 200_000, 22, 50);
    }

    [Fact]
    public void AnEmptyFilter_HasNothing()
    {
        var filter = new ProviderKeyFilter();
        Assert.False(filter.MayContain(Message.KeyOf("sms", MessageDirection.In, "SM1")));
        Assert.Equal(0, filter.Count);
    }

    /// <summary>
    /// The keys stored in the Messages table were made as SHA-256 over "{instance}\n{direction}\n{id}" in
    /// UTF-8: the key of a message must not change, or redeliveries of stored messages go unrecognised.
    /// Tried: short and empty ids, non-ASCII ids and instances, an id longer than the stack buffer.
    /// </summary>
    [Theory]
    [InlineData("sms", 0, "SM0123456789abcdef0123456789abcdef")]
    [InlineData("webchat", 0, "3f2504e0-4f89-11d3-9a0c-0305e82c3301:c17")]
    [InlineData("wechat-商店", 1, "消息-ñ-😀")]
    [InlineData("x", 1, "")]
    public void TheKeyOfAProviderId_IsTheOneStoredBefore(string instance, int directionValue, string id)
    {
        var direction = (MessageDirection)directionValue;
        Assert.Equal(StoredKey(instance, direction, id), Message.KeyOf(instance, direction, id));
        var longId = string.Concat(Enumerable.Repeat(id + "长", 300));
        Assert.Equal(StoredKey(instance, direction, longId), Message.KeyOf(instance, direction, longId));
    }

    private static long StoredKey(string instance, MessageDirection direction, string id) =>
        System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{instance}\n{(int)direction}\n{id}")));
}
