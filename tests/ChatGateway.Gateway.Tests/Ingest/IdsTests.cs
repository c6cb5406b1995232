using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.Tests.Ingest;

/// <summary>
/// Row ids made without a system call each: they must still be what <see cref="Guid.CreateVersion7(DateTimeOffset)"/>
/// makes (the store orders rows by them and agents' lists page by them), and never repeat.
/// </summary>
public sealed class IdsTests
{
    [Fact]
    public void Ids_AreVersion7_CarryTheirMillisecond_AndSortLikeTheRuntimes()
    {
        var at = DateTimeOffset.Parse("2026-11-23T14:10:58.123Z");
        var ours = Ids.NewVersion7(at);
        var runtimes = Guid.CreateVersion7(at);

        Assert.Equal(7, ours.Version);
        Assert.Equal(runtimes.Variant & 0b1100, ours.Variant & 0b1100); // RFC 9562 variant 10xx (the low bits are random)
        Assert.Equal(runtimes.ToString()[..13], ours.ToString()[..13]); // the 48-bit millisecond timestamp
        Assert.True(ours.CompareTo(Ids.NewVersion7(at.AddMilliseconds(1))) < 0, "a later millisecond sorts after");
        Assert.Throws<ArgumentOutOfRangeException>(() => Ids.NewVersion7(DateTimeOffset.UnixEpoch.AddMilliseconds(-1)));
    }

    [Fact]
    public async Task Ids_OfOneMillisecond_NeverRepeat_AcrossBufferRefillsAndThreads()
    {
        var at = DateTimeOffset.UtcNow;
        var perThread = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 50_000).Select(_ => Ids.NewVersion7(at)).ToList())));

        var all = perThread.SelectMany(ids => ids).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }
}
