using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms;

/// <summary>The instance is ready while its settings are valid; Twilio itself is not probed.</summary>
internal sealed class SmsReadiness(IOptionsMonitor<SmsOptions> options) : IChannelReadiness
{
    public Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ = options.CurrentValue;
            return Task.FromResult<string?>(null);
        }
        catch (OptionsValidationException ex)
        {
            return Task.FromResult<string?>(string.Join("; ", ex.Failures));
        }
    }
}
