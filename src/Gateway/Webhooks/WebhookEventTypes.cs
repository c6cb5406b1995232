namespace ChatGateway.Gateway.Webhooks;

/// <summary>The events a subscription can ask for (dot-separated resource and action, as Standard Webhooks suggests).</summary>
internal static class WebhookEventTypes
{
    public const string ConversationCreated = "conversation.created";
    public const string ConversationAssigned = "conversation.assigned";
    public const string ConversationTransferred = "conversation.transferred";
    public const string ConversationClosed = "conversation.closed";
    public const string MessageCreated = "message.created";
    public const string MessageFailed = "message.failed";
    public const string FollowUpSent = "followup.sent";
    public const string FollowUpSkipped = "followup.skipped";
    public const string ContactMerged = "contact.merged";

    /// <summary>Sent by <c>POST /api/webhooks/{id}/test</c> only; never subscribed to.</summary>
    public const string Test = "webhook.test";

    public static readonly string[] All =
    [
        ConversationCreated, ConversationAssigned, ConversationTransferred, ConversationClosed, MessageCreated, MessageFailed,
        FollowUpSent, FollowUpSkipped, ContactMerged,
    ];
}
