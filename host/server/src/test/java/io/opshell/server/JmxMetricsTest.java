package io.opshell.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.jmx.JmxMeterRegistry;
import io.opshell.host.ServerStats;
import io.opshell.host.metrics.OpshellMetrics;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * The standalone server's JMX view, read from the platform MBean server as jconsole would: the
 * steps are a count and a total time ({@code opshellStepTotals}), read when asked, not a timer
 * that updates a decaying sample on every command.
 */
class JmxMetricsTest {
    @Test
    void stepTimeIsACountAndATotal() throws Exception {
        MBeanServer beans = ManagementFactory.getPlatformMBeanServer();
        JmxMeterRegistry jmx = ServeCommand.jmxRegistry();
        try {
            CompositeMeterRegistry registries = new CompositeMeterRegistry(); // as the server binds it
            registries.add(jmx);
            OpshellMetrics metrics = new OpshellMetrics(new ServerStats(), () -> 0, () -> 0, List.of(registries));
            metrics.bindStepTotals(jmx);
            for (int i = 0; i < 3; i++) {
                metrics.stepTook(2_000_000); // 2 ms
            }

            assertThat(beans.queryNames(new ObjectName("opshell:name=opshellStep,*"), null)).isEmpty();
            Set<ObjectName> steps = beans.queryNames(new ObjectName("opshell:name=opshellStepTotals,*"), null);
            assertThat(steps).hasSize(1);
            ObjectName step = steps.iterator().next();
            assertThat(((Number) beans.getAttribute(step, "Count")).longValue()).isEqualTo(3);
            assertThat(beans.getAttribute(step, "DurationUnit")).isEqualTo("milliseconds");
            assertThat(((Number) beans.getAttribute(step, "Mean")).doubleValue()).isEqualTo(2.0);
            // \stats still reads the full timer.
            assertThat(metrics.snapshot().steps()).isEqualTo(3);
            assertThat(metrics.snapshot().stepMaxMicros()).isEqualTo(2_000);
        } finally {
            jmx.close();
        }
    }

    /**
     * \stats reads the steps where they are kept in full, whichever registry a composite would
     * pick first (its children are in no set order): one that leaves the step timer out must not
     * make \stats read zero.
     */
    @Test
    void statsReadTheStepsWhereverTheyAreLeftOut() {
        for (int i = 0; i < 32; i++) {
            SimpleMeterRegistry withoutSteps = new SimpleMeterRegistry();
            withoutSteps.config().meterFilter(OpshellMetrics.withoutStepTimer());
            CompositeMeterRegistry registries = new CompositeMeterRegistry();
            registries.add(withoutSteps);
            OpshellMetrics metrics = new OpshellMetrics(new ServerStats(), () -> 0, () -> 0, List.of(registries));
            metrics.stepTook(1_000);
            metrics.stepTook(1_000);
            assertThat(metrics.snapshot().steps()).isEqualTo(2);
        }
    }
}
