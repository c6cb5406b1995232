using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.FollowUps.Callbacks;

/// <summary>Promised callbacks ("I will call you back at three"): section <c>Callbacks</c>.</summary>
internal sealed class CallbackOptions
{
    /// <summary>How long before the promised time the agent who has the conversation is reminded (at once when that is past).</summary>
    public TimeSpan RemindBefore { get; set; } = TimeSpan.FromMinutes(10);
}

internal sealed class CallbackOptionsValidator : IValidateOptions<CallbackOptions>
{
    public ValidateOptionsResult Validate(string? name, CallbackOptions options) =>
        options.RemindBefore < TimeSpan.Zero || options.RemindBefore > TimeSpan.FromDays(1)
            ? ValidateOptionsResult.Fail($"Callbacks:RemindBefore must be between 00:00:00 and 1.00:00:00 (got {options.RemindBefore})")
            : ValidateOptionsResult.Success;
}
