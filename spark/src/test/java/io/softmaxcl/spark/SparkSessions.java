package io.softmaxcl.spark;

import org.apache.spark.sql.SparkSession;

/** The local[2] session tests use: no UI, few shuffle partitions, logs at WARN. */
final class SparkSessions {

    private SparkSessions() {
    }

    static SparkSession local(String app) {
        return SparkSession.builder().master("local[2]").appName(app)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.adaptive.enabled", "false")
                .getOrCreate();
    }
}
