using ChatGateway.Abstractions;
using ChatGateway.Gateway.Ingest;

namespace ChatGateway.Gateway.Tests.Ingest;

/// <summary>
/// The callers of a committed batch run their HTTP answers where their completion runs: that must be the
/// thread pool, never the writer's or the log syncer's own thread (which would then write to sockets
/// instead of storing the next batch), and every caller must be answered, also when the batch failed.
/// </summary>
public sealed class AnswersTests
{
    [Fact]
    public async Task Send_FromTheWritersThread_AnswersEveryCallerOnThePool_NotOnThatThread()
    {
        var batch = Enumerable.Range(0, 21).Select(i => Pending($"m{i}")).ToList();
        var continuations = batch.Select(async p =>
        {
            var result = await p.Completion.Task;
            return (result.Result.MessageId, Thread.CurrentThread.ManagedThreadId, Thread.CurrentThread.IsThreadPoolThread);
        }).ToList();
        var results = batch.Select(p => (p, new Ingested(new InboundResult(Guid.NewGuid(), Guid.NewGuid(), false), null))).ToList();

        var writer = new Thread(() => Answers.Send(results)) { Name = "test writer" };
        writer.Start();
        writer.Join();
        var answered = await Task.WhenAll(continuations).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(results.Select(r => r.Item2.Result.MessageId), answered.Select(a => a.MessageId));
        Assert.All(answered, a => Assert.True(a.IsThreadPoolThread && a.ManagedThreadId != writer.ManagedThreadId, "an answer ran off the pool"));
    }

    [Fact]
    public async Task Fail_AnswersEveryCallerWithTheError()
    {
        var batch = Enumerable.Range(0, 10).Select(i => Pending($"m{i}")).ToList();
        var failure = new IOException("disk gone");

        Answers.Fail(batch.Select(p => (p, (Ingested)null!)).ToList(), failure);

        foreach (var pending in batch)
        {
            var thrown = await Assert.ThrowsAsync<IOException>(() => pending.Completion.Task.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Same(failure, thrown);
        }
    }

    private static PendingInbound Pending(string id) =>
        new("webchat", "webchat", new InboundMessage { ProviderMessageId = id, Sender = new ChannelSender { ExternalId = "v_1" }, Text = "hi" }, null, null);
}
