using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>The sender against the fake Graph API: what goes over the wire, and how Graph's errors are judged.</summary>
public sealed class WhatsAppSenderTests : IAsyncLifetime
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private FakeWhatsAppServer _graph = null!;
    private ChannelInstanceContainer _container = null!;

    public async ValueTask InitializeAsync()
    {
        _graph = await WhatsAppTestInstance.StartFakeAsync();
        _container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", WhatsAppTestInstance.ValidSettings(_graph.BaseAddress));
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync();
        await _graph.DisposeAsync();
    }

    private Task<DeliveryResult> SendAsync(OutboundMessage message) =>
        _container.Services.GetRequiredService<IChannelSender>().SendAsync(message, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Send_Text_PostsATextMessageToTheNumberAndReturnsTheWamid()
    {
        var result = await SendAsync(Message("Your order 1001 ships today"));

        var sent = Assert.Single(_graph.Sent);
        Assert.Equal((DeliveryOutcome.Sent, sent.MessageId), (result.Outcome, result.ProviderMessageId));
        Assert.Equal(("15551234567", "text", "Your order 1001 ships today"), (sent.To, sent.Type, sent.Text));
    }

    [Fact]
    public async Task Send_PictureAndPdf_UploadsEachAndSendsThemAsImageAndDocument_TextAsTheFirstCaption()
    {
        var ct = TestContext.Current.CancellationToken;
        var picture = await _container.Attachments.SaveAsync(new MemoryStream(Png), "size-chart.png", "image/png", ct);
        var pdf = await _container.Attachments.SaveAsync(new MemoryStream("%PDF-1.4\n%%EOF\n"u8.ToArray()), "invoice.pdf", "application/pdf", ct);

        var result = await SendAsync(Message("Here are the chart and your invoice") with { Attachments = [picture, pdf] });

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.Equal([("image/png", "size-chart.png", Png.Length), ("application/pdf", "invoice.pdf", 15)],
            _graph.Uploads.Select(u => (u.ContentType, u.FileName, u.Bytes.Length)));
        Assert.Equal(
            [
                new WhatsAppSent("15551234567", "image", "Here are the chart and your invoice", _graph.Uploads[0].MediaId, null, _graph.Sent[0].MessageId),
                new WhatsAppSent("15551234567", "document", null, _graph.Uploads[1].MediaId, "invoice.pdf", _graph.Sent[1].MessageId),
            ],
            _graph.Sent);
        Assert.Equal(_graph.Sent[1].MessageId, result.ProviderMessageId);
    }

    [Fact]
    public async Task Send_RateLimited_IsTransient()
    {
        _graph.FailNextSend(429);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Contains("130429", result.Error);
    }

    [Fact]
    public async Task Send_RateLimitedWithRetryAfter_IsTransientAndAsksTheGatewayToWaitThatLong()
    {
        _graph.FailNextSend(429, 130429, TimeSpan.FromSeconds(30));

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal((DeliveryOutcome.TransientFailure, TimeSpan.FromSeconds(30)), (result.Outcome, result.RetryAfter));
        Assert.Contains("130429", result.Error);
        Assert.Empty(_graph.Sent);
    }

    [Fact]
    public async Task Send_PairRateLimitWithoutRetryAfter_IsTransientWithoutAWait()
    {
        _graph.FailNextSend(400, 131056);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal((DeliveryOutcome.TransientFailure, (TimeSpan?)null), (result.Outcome, result.RetryAfter));
        Assert.Contains("code 131056", result.Error);
    }

    [Fact]
    public async Task Send_Undeliverable131026_IsPermanentNamingTheCode()
    {
        _graph.FailNextSend(400, 131026);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.StartsWith("WhatsApp answered 400 to the message (code 131026", result.Error);
    }

    [Fact]
    public async Task Send_ServerError_IsTransient()
    {
        _graph.FailNextSend(503);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.Contains("503", result.Error);
    }

    [Fact]
    public async Task Send_OutsideTheCustomerServiceWindow_IsPermanentWithTheWindowReason()
    {
        _graph.WindowClosed = true;

        var result = await SendAsync(Message("Did the parcel arrive?"));

        Assert.Equal((DeliveryOutcome.PermanentFailure, "the 24-hour customer service window is closed: use a template or another channel"), (result.Outcome, result.Error));
        Assert.Empty(_graph.Sent);
    }

    [Fact]
    public async Task Send_BadRequest_IsPermanentNamingGraphsCodeWithoutTheText()
    {
        _graph.FailNextSend(400);

        var result = await SendAsync(Message("Your order 1001 ships today"));

        Assert.Equal((DeliveryOutcome.PermanentFailure, "WhatsApp answered 400 to the message (code 100: Invalid parameter)"), (result.Outcome, result.Error));
    }

    [Fact]
    public async Task Send_WrongAccessToken_IsPermanent()
    {
        var settings = WhatsAppTestInstance.ValidSettings(_graph.BaseAddress);
        settings["AccessToken"] = "revoked-token";
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", settings);

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(Message("Hello"), TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("401", result.Error);
        Assert.Contains("code 190", result.Error);
        Assert.DoesNotContain("revoked-token", result.Error);
    }

    [Fact]
    public async Task Send_GraphUnreachable_IsTransient()
    {
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", WhatsAppTestInstance.ValidSettings());

        var result = await container.Services.GetRequiredService<IChannelSender>().SendAsync(Message("Hello"), TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.TransientFailure, result.Outcome);
        Assert.StartsWith("could not reach WhatsApp", result.Error);
    }

    [Fact]
    public async Task Send_TextOverGraphsLimit_IsRefusedBeforeAnyCall()
    {
        var result = await SendAsync(Message(new string('a', 4097)));

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.Empty(_graph.SendKeys);
    }

    private static OutboundMessage Message(string text) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = "15551234567", Phone = "+15551234567" },
        Text = text,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}

/// <summary>Follow-ups outside the 24-hour window as the template configured for their kind, else the default one.</summary>
public sealed class WhatsAppFollowUpTemplateTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private FakeWhatsAppServer _graph = null!;
    private ChannelInstanceContainer _container = null!;

    public async ValueTask InitializeAsync()
    {
        _graph = await WhatsAppTestInstance.StartFakeAsync();
        var settings = WhatsAppTestInstance.ValidSettings(_graph.BaseAddress);
        settings["FollowUpTemplate"] = "order_follow_up";
        settings["Templates:order_follow_up:Language"] = "en_US";
        settings["Templates:order_follow_up:Parameters:0"] = "Acme Shop";
        settings["Templates:order_follow_up:Parameters:1"] = "{text}";
        settings["FollowUpTemplates:payment-reminder"] = "payment_reminder_v1";
        settings["Templates:payment_reminder_v1:Language"] = "pt_BR";
        settings["Templates:payment_reminder_v1:Parameters:0"] = "{text}";
        _container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", settings, timeProvider: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync();
        await _graph.DisposeAsync();
    }

    [Fact]
    public async Task FollowUp_CustomerWroteMoreThan24HoursAgo_GoesAsTheTemplateWithTheTextOnOneLine()
    {
        CustomerWrote(Now.AddHours(-30));

        var result = await SendAsync(Message("How was your order?\nTell us in a word.", agent: null, kind: "delivery-check-in"));

        var sent = Assert.Single(_graph.Sent);
        Assert.Equal((DeliveryOutcome.Sent, sent.MessageId), (result.Outcome, result.ProviderMessageId));
        Assert.Equal(("template", "order_follow_up", "en_US", "Acme Shop|How was your order? Tell us in a word."), (sent.Type, sent.FileName, sent.MediaId, sent.Text));
    }

    [Fact]
    public async Task FollowUp_OfAKindWithItsOwnTemplate_GoesAsThatTemplate()
    {
        CustomerWrote(Now.AddHours(-30));

        var result = await SendAsync(Message("Your order 1001 awaits payment", agent: null, kind: "payment-reminder"));

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        var sent = Assert.Single(_graph.Sent);
        Assert.Equal(("template", "payment_reminder_v1", "pt_BR", "Your order 1001 awaits payment"), (sent.Type, sent.FileName, sent.MediaId, sent.Text));
    }

    [Fact]
    public async Task AutomaticReply_OutsideTheWindow_IsNeverTurnedIntoATemplate()
    {
        CustomerWrote(Now.AddHours(-30));
        _graph.WindowClosed = true;

        var result = await SendAsync(Message("We are closed until Monday", agent: null, kind: null));

        Assert.Equal((DeliveryOutcome.PermanentFailure, "the 24-hour customer service window is closed: use a template or another channel"), (result.Outcome, result.Error));
        Assert.Empty(_graph.Sent);
    }

    [Fact]
    public async Task FollowUp_WithinTheWindow_GoesAsText()
    {
        CustomerWrote(Now.AddHours(-2));

        await SendAsync(Message("How was your order?", agent: null, kind: "delivery-check-in"));

        Assert.Equal(("text", "How was your order?"), (Assert.Single(_graph.Sent).Type, _graph.Sent[0].Text));
    }

    [Fact]
    public async Task FollowUp_MetaSaysTheWindowIsClosed_GoesAsTheTemplateInTheSameAttempt()
    {
        CustomerWrote(Now.AddHours(-2));
        _graph.WindowClosed = true;

        var result = await SendAsync(Message("How was your order?", agent: null, kind: "delivery-check-in"));

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        Assert.Equal("template", Assert.Single(_graph.Sent).Type);
    }

    [Fact]
    public async Task AgentsAnswer_OutsideTheWindow_IsNeverTurnedIntoATemplate()
    {
        CustomerWrote(Now.AddHours(-30));
        _graph.WindowClosed = true;

        var result = await SendAsync(Message("Sorry for the wait", agent: "Bob"));

        Assert.Equal((DeliveryOutcome.PermanentFailure, "the 24-hour customer service window is closed: use a template or another channel"), (result.Outcome, result.Error));
        Assert.Empty(_graph.Sent);
    }

    [Fact]
    public async Task Outreach_WithAFollowUpTemplate_SaysYesOutsideTheWindow()
    {
        var outreach = _container.Services.GetRequiredService<IChannelOutreach>();

        var reason = await outreach.CannotReachAsync(
            new OutreachRequest(new ChannelRecipient { ExternalId = "15551234567" }, Now.AddDays(-3), Transactional: true), TestContext.Current.CancellationToken);

        Assert.Null(reason);
    }

    [Fact]
    public async Task FollowUp_KindWithoutTemplateAndNoDefault_OutsideTheWindow_IsPermanentNamingTheKeyToSet()
    {
        var settings = WhatsAppTestInstance.ValidSettings(_graph.BaseAddress);
        settings["FollowUpTemplates:payment-reminder"] = "payment_reminder_v1";
        settings["Templates:payment_reminder_v1:Language"] = "en_US";
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", settings, timeProvider: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));
        _graph.WindowClosed = true;

        var result = await container.Services.GetRequiredService<IChannelSender>()
            .SendAsync(Message("How did we do?", agent: null, kind: "review-request"), TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.PermanentFailure, result.Outcome);
        Assert.StartsWith("the 24-hour customer service window is closed", result.Error);
        Assert.Contains("FollowUpTemplates:review-request", result.Error);
        Assert.Empty(_graph.Sent);
    }

    [Fact]
    public async Task Outreach_WithTemplatesForSomeKindsOnly_SaysYesOutsideTheWindow_AndWithNoneSaysNo()
    {
        var request = new OutreachRequest(new ChannelRecipient { ExternalId = "15551234567" }, Now.AddDays(-3), Transactional: true);
        var some = WhatsAppTestInstance.ValidSettings();
        some["FollowUpTemplates:shipped"] = "shipped_v2";
        some["Templates:shipped_v2:Language"] = "en";
        await using var withSome = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", some, timeProvider: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));
        await using var withNone = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", WhatsAppTestInstance.ValidSettings(), timeProvider: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));

        Assert.Null(await withSome.Services.GetRequiredService<IChannelOutreach>().CannotReachAsync(request, TestContext.Current.CancellationToken));
        Assert.Equal("the 24-hour customer service window is closed: use a template or another channel",
            await withNone.Services.GetRequiredService<IChannelOutreach>().CannotReachAsync(request, TestContext.Current.CancellationToken));

        // Asked for a kind, the answer is that kind's: shipped has its template, a review request has none (and no default).
        Assert.Null(await withSome.Services.GetRequiredService<IChannelOutreach>()
            .CannotReachAsync(request with { FollowUpKind = "shipped" }, TestContext.Current.CancellationToken));
        Assert.Equal(
            "the 24-hour customer service window is closed: use a template or another channel (no template for review-request: set FollowUpTemplates:review-request or FollowUpTemplate)",
            await withSome.Services.GetRequiredService<IChannelOutreach>().CannotReachAsync(request with { FollowUpKind = "review-request" }, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task FollowUpTemplates_NamingAnUnknownTemplateOrKind_StopStartUpNamingEachKey()
    {
        var settings = WhatsAppTestInstance.ValidSettings();
        settings["FollowUpTemplates:payment-reminder"] = "payment_reminder_v9";
        settings["FollowUpTemplates:payment_reminder"] = "order_follow_up";
        settings["Templates:order_follow_up:Language"] = "en_US";
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", settings);

        var failures = string.Join("\n", container.StartupFailures());

        Assert.Contains("FollowUpTemplates:payment-reminder names payment_reminder_v9, which is not under Templates", failures);
        Assert.Contains("FollowUpTemplates:payment_reminder is not a follow-up kind", failures);
    }

    [Fact]
    public async Task FollowUpTemplate_NotUnderTemplates_StopsStartUpNamingTheKey()
    {
        var settings = WhatsAppTestInstance.ValidSettings();
        settings["FollowUpTemplate"] = "missing_one";
        settings["Templates:other:Language"] = "english";
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", settings);

        var failures = string.Join("\n", container.StartupFailures());

        Assert.Contains("FollowUpTemplate names missing_one", failures);
        Assert.Contains("Templates:other:Language", failures);
    }

    private void CustomerWrote(DateTimeOffset at) => _container.History.Add("15551234567", new ConversationHistory(Guid.NewGuid(), "assigned",
        [new HistoryMessage(Guid.NewGuid(), "in", "where is my parcel?", null, at), new HistoryMessage(Guid.NewGuid(), "out", "on its way", "Bob", at.AddMinutes(5))]));

    private Task<DeliveryResult> SendAsync(OutboundMessage message) =>
        _container.Services.GetRequiredService<IChannelSender>().SendAsync(message, TestContext.Current.CancellationToken);

    private static OutboundMessage Message(string text, string? agent, string? kind = null) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = "15551234567", Phone = "+15551234567" },
        Text = text,
        AgentName = agent,
        FollowUpKind = kind,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
