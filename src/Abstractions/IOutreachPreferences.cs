namespace ChatGateway.Abstractions;

/// <summary>What a customer accepts from the shop beyond answers to their own messages.</summary>
public enum OutreachPreference
{
    /// <summary>Everything: notices about their orders and marketing (review requests, greetings, return visits).</summary>
    All,

    /// <summary>Notices about their own orders and conversations only (退订 / TD, "no offers").</summary>
    NoMarketing,

    /// <summary>Nothing the shop starts (SMS STOP on this channel, or "no messages" on every channel).</summary>
    None,
}

/// <summary>
/// Records a customer's choice of what the shop may send them first (follow-ups), as a channel learns it: an SMS
/// STOP or START keyword, 退订 / TD, a setting in the web chat. Provided by the gateway in each instance's container,
/// bound to the instance. Answers to the customer's own messages are never affected.
/// </summary>
public interface IOutreachPreferences
{
    /// <summary>Records the customer's choice.</summary>
    /// <param name="externalId">The customer's id on this channel instance, as in <see cref="ChannelSender.ExternalId"/>.</param>
    /// <param name="preference">What they accept from now on.</param>
    /// <param name="thisChannelOnly">
    /// True when the choice concerns this channel instance only (SMS STOP stops this number; START undoes it); false
    /// when it is the customer's choice for every channel (the widget's setting, 退订).
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when the gateway knows no customer with this id here (nothing was recorded).</returns>
    Task<bool> SetAsync(string externalId, OutreachPreference preference, bool thisChannelOnly, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the customer declined more, for every channel (a keyword such as 退订 / TD: "no marketing"): from now
    /// on they accept at most <paramref name="atMost"/>. It only ever narrows what they accept: a customer who declined
    /// everything still accepts nothing after 退订. (<see cref="SetAsync"/> with <c>thisChannelOnly: false</c> sets the
    /// level as a setting does, wider or narrower.)
    /// </summary>
    /// <param name="externalId">The customer's id on this channel instance, as in <see cref="ChannelSender.ExternalId"/>.</param>
    /// <param name="atMost">The most they accept from now on.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when the gateway knows no customer with this id here (nothing was recorded).</returns>
    Task<bool> DeclineAsync(string externalId, OutreachPreference atMost, CancellationToken cancellationToken);

    /// <summary>What the customer with this id accepts, all channels considered (<see cref="OutreachPreference.All"/> when unknown).</summary>
    Task<OutreachPreference> GetAsync(string externalId, CancellationToken cancellationToken);
}
