"""ROS-free image and model logic: preprocessing, inference, batching, frame sources."""
