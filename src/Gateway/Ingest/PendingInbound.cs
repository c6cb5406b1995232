using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.Ingest;

/// <summary>An inbound message waiting for the writer, with the caller's completion.</summary>
internal sealed record PendingInbound(string InstanceId, string? ChannelType, InboundMessage Message, string? Phone, string? Email)
{
    /// <summary>
    /// Completed only through <see cref="Answers"/>, on the thread pool: its caller's continuation (the
    /// HTTP answer) runs inline where it is completed, so never on the writer's or the log syncer's thread.
    /// </summary>
    public TaskCompletionSource<Ingested> Completion { get; } = new();

    /// <summary>What the message carries beyond its text, checked and prepared; null for a message of text alone.</summary>
    public InboundExtras? Extras { get; init; }

    /// <summary>The caller's <c>ingest</c> span, which the writer's <c>store.commit</c> span links to (default when nothing traces).</summary>
    public System.Diagnostics.ActivityContext Trace { get; init; }

    /// <summary>The message's <see cref="Store.Message.KeyOf"/>, worked out by the caller: a hash the writer's thread need not spend its time on.</summary>
    public long ProviderKey { get; } = Store.Message.KeyOf(InstanceId, MessageDirection.In, Message.ProviderMessageId);
}

/// <summary>
/// Answers the callers of a committed batch on the thread pool, a few per work item. Each caller's answer
/// runs inline in its work item: one queued item and at most one woken thread for several answers, where
/// a completion that ran its continuation asynchronously queued one item, and often woke one thread, per
/// message.
/// </summary>
internal static class Answers
{
    private const int PerWorkItem = 8;

    public static void Send(List<(PendingInbound Item, Ingested Result)> results) => Queue(results, null);

    public static void Fail(List<(PendingInbound Item, Ingested Result)> results, Exception failure) => Queue(results, failure);

    public static void Fail(PendingInbound item, Exception failure) => Queue([(item, null!)], failure);

    private static void Queue(List<(PendingInbound Item, Ingested Result)> results, Exception? failure)
    {
        for (var from = 0; from < results.Count; from += PerWorkItem)
        {
            ThreadPool.UnsafeQueueUserWorkItem(new Slice(results, from, Math.Min(results.Count, from + PerWorkItem), failure), preferLocal: false);
        }
    }

    private sealed class Slice(List<(PendingInbound Item, Ingested Result)> results, int from, int to, Exception? failure) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            for (var i = from; i < to; i++)
            {
                var (item, result) = results[i];
                if (failure is null)
                {
                    item.Completion.TrySetResult(result);
                }
                else
                {
                    item.Completion.TrySetException(failure);
                }
            }
        }
    }
}

/// <summary>The caller's answer, and what routing needs once the message is committed (none for a redelivery).</summary>
internal sealed record Ingested(InboundResult Result, RoutingHandOff? HandOff);

/// <param name="FromPending">
/// The message opened a conversation the gateway had started (a follow-up, a survey): it may be the answer to it
/// (<see cref="Conversations.SurveyAnswers"/>), which is looked into for these only.
/// </param>
internal sealed record RoutingHandOff(
    Guid ConversationId, string Skill, int Priority, DateTimeOffset CreatedAt, ConversationStatus Status, Guid? AssignedAgentId,
    string? ChannelType, bool IsNew, Guid? PreferredAgent, Message Message, bool FromPending = false)
{
    /// <summary>What the message carries beyond its text, to show it whole to the agent.</summary>
    public InboundExtras? Extras { get; init; }
}
