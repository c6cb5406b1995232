using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace ChatGateway.Gateway.Plugins;

/// <summary>
/// The HTTP clients of one channel instance's container: every client a plugin makes calls its provider through a time
/// limit, a circuit breaker per host (a provider that keeps failing is not called for a while: its sends fail at once and
/// delivery tries them later) and, for reads only and when configured, jittered retries. A POST goes out once per
/// delivery attempt.
/// </summary>
internal static partial class ProviderHttpResilience
{
    public const string PipelineName = "provider";

    public static IServiceCollection AddProviderHttpClients(this IServiceCollection services, ProviderHttpOptions settings, ILogger logger, string instanceId)
    {
        services.AddHttpClient();
        services.ConfigureHttpClientDefaults(http =>
        {
            // Outermost: what the pipeline refuses reaches the plugin as the network failure it already handles.
            http.AddHttpMessageHandler(() => new RefusedCallHandler(settings.BreakDuration));
            http.AddResilienceHandler(PipelineName, (pipeline, context) => Build(pipeline, settings, logger, instanceId, context.InstanceName))
                .SelectPipelineByAuthority();
        });
        return services;
    }

    private static void Build(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ProviderHttpOptions settings, ILogger logger, string instanceId, string authority)
    {
        pipeline.AddTimeout(settings.TotalTimeout);
        if (settings.GetRetries > 0)
        {
            var retry = new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = settings.GetRetries,
                Delay = settings.GetRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                // A 429's wait is the plugin's to report (delivery honours it); a read is not held that long here.
                ShouldRetryAfterHeader = false,
            };
            // POST, PUT, PATCH, DELETE: a send the provider may have taken is never repeated behind the plugin's back.
            retry.DisableForUnsafeHttpMethods();
            pipeline.AddRetry(retry);
        }

        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = settings.BreakerFailureRatio,
            MinimumThroughput = settings.BreakerMinimumThroughput,
            SamplingDuration = settings.BreakerSamplingDuration,
            BreakDuration = settings.BreakDuration,
            // A 429 is one chat or one account being paced, with its own wait: not a broken provider.
            ShouldHandle = args => ValueTask.FromResult(
                HttpClientResiliencePredicates.IsTransient(args.Outcome) && args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests),
            OnOpened = args =>
            {
                LogCircuitOpened(logger, instanceId, authority, args.BreakDuration);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                LogCircuitClosed(logger, instanceId, authority);
                return ValueTask.CompletedTask;
            },
        });
        pipeline.AddTimeout(settings.AttemptTimeout);
    }

    /// <summary>Turns the pipeline's refusals into <see cref="HttpRequestException"/>s, which every plugin maps to a transient failure.</summary>
    private sealed class RefusedCallHandler(TimeSpan breakDuration) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (BrokenCircuitException ex)
            {
                // The authority only: a Bot API path holds the token.
                throw new HttpRequestException(HttpRequestError.ConnectionError,
                    $"not called: {request.RequestUri?.Authority} failed repeatedly, so calls to it pause for up to {breakDuration.TotalSeconds:0} s (circuit open)", ex);
            }
            catch (TimeoutRejectedException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new HttpRequestException(HttpRequestError.Unknown,
                    $"{request.RequestUri?.Authority} did not answer within {ex.Timeout.TotalSeconds:0.###} s (ProviderHttp)", ex);
            }
        }
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning,
        Message = "Channel {InstanceId}: calls to {Authority} failed repeatedly; they are paused for {BreakDuration} (circuit open), sends wait for delivery's retry")]
    private static partial void LogCircuitOpened(ILogger logger, string instanceId, string authority, TimeSpan breakDuration);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information, Message = "Channel {InstanceId}: {Authority} answers again (circuit closed)")]
    private static partial void LogCircuitClosed(ILogger logger, string instanceId, string authority);
}
